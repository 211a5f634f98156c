from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.acting_for import register_people_to_tell, register_proxy_use_hook
from core.export_sections import register_export_section
from core.notice_texts import SETTLEMENT, register_digest_pairs
from core.notice_texts import register_notice_audience as register_notice_audience_for_notices
from live import register_watch_provider


class FamilyConfig(AppConfig):
    name = "family"
    verbose_name = _("亲情账户")

    def ready(self) -> None:
        from family.actions import note_proxy_use  # models: needs the app registry
        from family.export import grants_given  # models: needs the app registry
        from family.push import ACCESS_REVOKED, register_family_live  # models: needs the app registry
        from family.selectors import (  # models: needs the app registry
            service_followers,
            settlement_notice_audience,
            settlement_watch_pairs,
            watchable_person_ids,
        )
        from settlement.watchers import register_notice_audience  # models: needs the app registry

        register_family_live()
        register_watch_provider(watchable_person_ids, ended=ACCESS_REVOKED)
        register_notice_audience(settlement_notice_audience)
        register_notice_audience_for_notices(SETTLEMENT, settlement_notice_audience)  # core/notice_texts.py
        register_digest_pairs(settlement_watch_pairs)  # the weekly digest to each proxy (notices)
        # Every proxy use is noted and told to her by the action that records it (core/acting_for.py).
        register_proxy_use_hook(note_proxy_use)
        register_people_to_tell(service_followers)  # told of her filings and applications (services/push.py)
        register_export_section("proxies", grants_given)  # her data download (docs/export-format.md)
