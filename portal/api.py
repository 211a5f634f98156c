"""The versioned institution API: one NinjaAPI, errors always {error, message} in JSON."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from settlement.api import router as settlement_router
from settlement.errors import ApiError

api = NinjaAPI(
    title="医保通 institution API",
    version="1",
    description="定点医院和药店使用的接口：核验医保码、提交结算。所有错误都返回 {error, message}。",
    urls_namespace="api-v1",
    docs_url=None,
)
api.add_router("/", settlement_router)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError):
    fields = []
    for err in exc.errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", []) if p not in ("body", "payload"))
        if loc:
            fields.append(loc)
    detail = ("，请检查：" + "、".join(fields)) if fields else ""
    return api.create_response(
        request, {"error": "invalid_request", "message": "请求内容不完整或格式不对" + detail + "。"}, status=422
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"error": "unsigned_request", "message": "请求没有签名。"}, status=401)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"error": "not_found", "message": "找不到要查的内容。"}, status=404)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError):
    messages = {400: "请求格式不对，请发送 JSON。", 405: "这个地址不支持这种请求方法。"}
    return api.create_response(
        request,
        {"error": "bad_request" if exc.status_code == 400 else "http_error",
         "message": messages.get(exc.status_code, "请求不能处理。")},
        status=exc.status_code,
    )
