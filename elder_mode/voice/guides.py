"""The fixed spoken guides: one or two short, plain sentences for every step, read aloud and shown on screen.

Keys name the page or step (``{% voice_guide "identity" %}``). Mandarin text is the screen text; Cantonese may say
the same thing the way it is said in Cantonese (espeak-ng's ``yue`` voice and gTTS read simplified characters).
``en`` is only for the screen of English pages (the voice is Chinese).
Numbers that are read digit by digit (the hotline 12393) are written as digits: see ``text.spoken_form``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import get_language

from elder_mode.voice.engines import LANGS, RATES
from elder_mode.voice.guides_learn import LEARN_GUIDES
from elder_mode.voice.guides_packs import PACK_GUIDES
from elder_mode.voice.guides_visits import VISIT_GUIDES

GUIDES: dict[str, dict[str, str]] = {
    "home": {
        "cmn": "这里是医保通。看病买药，点出示医保码。要家人帮忙，点家人帮我。看花了多少钱，点查记录。有难处，点求助。",
        "yue": "呢度係医保通。睇病买药，按出示医保码。要屋企人帮手，按家人帮我。睇用咗几多钱，按查记录。有困难，按求助。",
        "en": "This is Yibaotong. To see a doctor or buy medicine, tap Show insurance code. For help from family, tap Family help. To see what you spent, tap Records. If you are stuck, tap Get help.",
    },
    "sign_in": {
        "cmn": "请填写您的手机号，然后点获取验证码。收到短信后，把六位数字填进去，再点登录。",
        "yue": "请填写你嘅手机号码，然后按获取验证码。收到短信之后，将六个数字填入去，再按登录。",
        "en": "Enter your mobile number, then tap Get code. When the text message arrives, type in the six digits and tap Sign in.",
    },
    "identity": {
        "cmn": "第一步。请填写您的姓名、身份证号和手机号，然后点获取验证码。",
        "yue": "第一步。请填写你嘅姓名、身份证号码同手机号码，然后按获取验证码。",
        "en": "Step one. Enter your name, ID number and mobile number, then tap Get code.",
    },
    "identity_after_sign_in": {
        "cmn": "您还没有开通医保码，先开通吧。第一步。请填写您的姓名和身份证号，然后点下一步。不用再收验证码。",
        "yue": "你仲未开通医保码，先开通啦。第一步。请填写你嘅姓名同身份证号码，然后按下一步。唔使再收验证码。",
        "en": "You have not activated your insurance code yet, so let us do that first. Step one. Enter your name and ID number, then tap Next. You do not need another code.",
    },
    "confirm": {
        "cmn": "第二步。请看看您的参保信息对不对。没错的话，点下一步。",
        "yue": "第二步。请睇下你嘅参保资料啱唔啱。冇错嘅话，按下一步。",
        "en": "Step two. Check that your insurance details are right. If they are, tap Details are right, next.",
    },
    "agree": {
        "cmn": "第三步。医保码就像医保卡，看病买药时给收费员扫一下。同意的话，点同意并开通。",
        "yue": "第三步。医保码就好似医保卡，睇病买药时俾收费员扫一下。同意嘅话，按同意并开通。",
        "en": "Step three. The code works like your insurance card: the cashier scans it. If you agree, tap Agree and activate.",
    },
    "code": {
        "cmn": "这是您的医保码。看病买药时，把手机给收费员扫一下。码会自己换新的，不用着急。",
        "yue": "呢个係你嘅医保码。睇病买药时，将手机俾收费员扫一下。个码会自己换新，唔使急。",
        "en": "This is your insurance code. Let the cashier scan your phone. The code renews by itself, so there is no hurry.",
    },
    "code_large": {
        "cmn": "码已经放大了。请把手机给收费员扫一下。",
        "yue": "个码已经放大咗。请将手机俾收费员扫一下。",
        "en": "The code is enlarged. Let the cashier scan your phone.",
    },
    "code_lost": {
        "cmn": "手机丢了，请点马上暂停。暂停后，别人拿到您的手机也用不了医保码。",
        "yue": "手机唔见咗，请按马上暂停。暂停之后，人哋拎到你部手机都用唔到医保码。",
        "en": "Lost your phone? Tap Pause now. Then nobody can use your code on that phone.",
    },
    "settlement_waiting": {
        "cmn": "正在结算，请稍等。结果出来会读给您听。",
        "yue": "正在结算，请等一等。有结果会读俾你听。",
        "en": "Settling, please wait. The result will be read to you.",
    },
    "records": {
        "cmn": "这里是您的消费记录。每一行是一次看病或买药，写着医保付了多少，您自己付了多少。",
        "yue": "呢度係你嘅消费记录。每一行係一次睇病或者买药，写住医保俾咗几多，你自己俾咗几多。",
        "en": "These are your payments. Each line is one visit or purchase: what insurance paid and what you paid.",
    },
    "survey": {
        "cmn": "这次办得怎么样？满意就点满意，还行就点一般，不好就点不满意。点一下就行，不点也不影响办事。",
        "yue": "今次办得点样？满意就撳满意，还可以就撳一般，唔好就撳唔满意。撳一下就得，唔撳都唔影响办事。",
        "en": "How did it go this time? Tap satisfied, okay or unsatisfied. One tap is enough; skipping it changes nothing.",
    },
    "complaint": {
        "cmn": "这里可以投诉或举报。按开始录音，直接说发生了什么，说完按停止，再按提交。也可以打字。医保局会在二十四小时内答复您。",
        "yue": "呢度可以投诉或者举报。撳开始录音，直接讲发生咗乜嘢，讲完撳停止，再撳提交。都可以打字。医保局会喺二十四个钟内答复你。",
        "en": "Here you can make a complaint or a report. Tap start recording, say what happened, tap stop, then send. "
              "You can also type. The bureau answers within 24 hours.",
    },
    "complaint_detail": {
        "cmn": "这是您的投诉。上面写着还有几个小时答复。医保局答复了，会显示在这里，也会发短信告诉您。看完请点一下满不满意。",
        "yue": "呢个係你嘅投诉。上面写住仲有几多个钟答复。医保局答复咗，会喺度显示，都会发短信话你知。睇完请撳一下满唔满意。",
        "en": "This is your complaint. It shows how many hours are left for the answer. The answer appears here and "
              "comes by text message. Then tap whether you are satisfied.",
    },
    "receipt": {
        "cmn": "这是一次结算的收据。最下面写着医保付了多少，您自己付了多少。",
        "yue": "呢张係一次结算嘅收据。最下面写住医保俾咗几多，你自己俾咗几多。",
        "en": "This is the receipt of one payment. At the bottom: what insurance paid and what you paid.",
    },
    "benefits": {
        "cmn": "这里是待遇查询。写着今年医保帮您付了多少，起付线付满了没有，还能报多少。想知道下次看病要花多少，点看病前算一算。",
        "yue": "呢度係待遇查询。写住今年医保帮你俾咗几多，起付线俾满未，仲可以报几多。想知下次睇病要使几多，按看病前算一算。",
        "en": "These are your benefits: what insurance paid for you this year, whether the deductible is met, and how much is left. To see what a visit will cost, tap Estimate before a visit.",
    },
    "estimate": {
        "cmn": "看病前算一算。选去哪里看病，选看门诊还是住院，填大概要花多少钱，再点算一算。只是算一算，不扣钱。",
        "yue": "睇病前计一计。拣去边度睇病，拣睇门诊定住院，填大概要使几多钱，再按算一算。只係计下，唔扣钱。",
        "en": "Estimate before a visit. Choose where you will go, the kind of visit and roughly how much it costs, then tap Estimate. Nothing is charged.",
    },
    "account_record": {
        "cmn": "这里记着谁在什么时候动过您的医保账户。看到不认识的，请马上打12393。",
        "yue": "呢度记住边个喺几时郁过你嘅医保户口。见到唔认识嘅，请即刻打12393。",
        "en": "This lists who did what to your insurance account, and when. If you see something you do not know, call 12393 now.",
    },
    "enrollment": {
        "cmn": "这里是您的参保信息和缴费记录。有不对的地方，请打12393。",
        "yue": "呢度係你嘅参保资料同缴费记录。有唔啱嘅地方，请打12393。",
        "en": "These are your enrollment details and contributions. If something is wrong, call 12393.",
    },
    "family": {
        "cmn": "这里是亲情账户。上面是谁在帮您，他能做什么由您来选。不想让他帮了，点马上解除。",
        "yue": "呢度係亲情账户。上面係边个喺度帮你，佢可以做咩由你拣。唔想佢帮，按马上解除。",
        "en": "Family accounts. At the top: who helps you. You choose what they may do. To stop it, tap End now.",
    },
    "family_proxy": {
        "cmn": "这里是您在帮的家人。要出示她的医保码，点为她办理。",
        "yue": "呢度係你帮紧嘅屋企人。要出示佢嘅医保码，按为佢办理。",
        "en": "These are the relatives you help. To show her code, tap Act for her.",
    },
    "family_revoke": {
        "cmn": "真的不让他帮您了吗？是的话，点确定解除。点错了，五分钟内可以撤销。",
        "yue": "真係唔俾佢帮你喇？係嘅话，按确定解除。按错咗，五分钟之内可以撤销。",
        "en": "Stop this person helping you? If so, tap Yes, end it. If it was a mistake, you can undo it within five minutes.",
    },
    "family_stop_helping": {
        "cmn": "您不再帮她了吗？是的话，点确定不再帮她。要再帮她，需要她重新同意。",
        "yue": "你唔再帮佢喇？係嘅话，按确定不再帮她。要再帮佢，要佢重新同意。",
        "en": "Stop helping her? If so, tap Yes, stop. To help her again, she must agree again.",
    },
    "family_add": {
        "cmn": "请填写家人的姓名和身份证号，点发短信请她同意。她同意的话，会把短信里的验证码念给您。",
        "yue": "请填写屋企人嘅姓名同身份证号码，按发短信请佢同意。佢同意嘅话，会将短信入面嘅验证码读俾你听。",
        "en": "Enter your relative's name and ID number, then tap Send a text to ask them. If she agrees, she reads you the code in the text.",
    },
    "family_invite": {
        "cmn": "请填写家人的手机号，再选他可以帮您做的事，然后点添加。",
        "yue": "请填写屋企人嘅手机号码，再拣佢可以帮你做嘅事，然后按添加。",
        "en": "Enter your relative's mobile number, choose what he may do for you, then tap Add.",
    },
    "family_consent": {
        "cmn": "请她把手机收到的验证码念给您，填进去，再点确认。",
        "yue": "请佢将手机收到嘅验证码读俾你听，填入去，再按确认。",
        "en": "Ask her to read you the code her phone received, type it in, then tap Confirm.",
    },
    "not_me": {
        "cmn": "这是一笔离线结算的短信通知。是本人用的，不用做什么。不是本人用的，请点最下面的大按钮报告。",
        "yue": "呢个係一笔离线结算嘅短信通知。係本人用嘅，唔使做咩。唔係本人用嘅，请按最下面嘅大按钮报告。",
        "en": "This is about a payment made while the counter was offline. If it was you, there is nothing to do. If not, tap the big button at the bottom to report it.",
    },
    "not_me_done": {
        "cmn": "我们已经收到您的报告。医保局工作人员会在一个工作日内给您打电话。着急的话，请打12393。",
        "yue": "我哋已经收到你嘅报告。医保局职员会喺一个工作日之内打电话俾你。急嘅话，请打12393。",
        "en": "We have your report. Insurance bureau staff will call you within one working day. If it is urgent, call 12393.",
    },
    "not_me_invalid": {
        "cmn": "这个链接不能用了。如果短信里说的结算不是您本人，请打12393，告诉工作人员短信里的时间和金额。",
        "yue": "呢条链接用唔到喇。如果短信讲嘅结算唔係你本人，请打12393，话俾职员听短信入面嘅时间同金额。",
        "en": "This link no longer works. If the payment in the text message was not you, call 12393 and tell the staff the time and amount in the message.",
    },
    "assist_consent": {
        "cmn": "社区帮办员要为您办事，先要您同意。同意的话，请把手机收到的六位验证码念给帮办员。不同意，就说不办了。",
        "yue": "社区帮办员要帮你办事，要先得到你同意。同意嘅话，请将手机收到嘅六位验证码读俾帮办员听。唔同意，就话唔办。",
        "en": "The community helper needs your agreement first. If you agree, read the six-digit code on your phone to the helper. If not, say no.",
    },
    "assist_session": {
        "cmn": "帮办员正在为您办理您同意的事。办完了，请点我办完了。",
        "yue": "帮办员而家帮你办你同意咗嘅事。办完之后，请按我办完了。",
        "en": "The helper is doing the things you agreed to. When you are done, tap I am done.",
    },
    "assist_activate": {
        "cmn": "帮办员正在为您开通医保码。请看看姓名和身份证号对不对。",
        "yue": "帮办员而家帮你开通医保码。请睇下姓名同身份证号码啱唔啱。",
        "en": "The helper is activating your insurance code. Check that the name and ID number are right.",
    },
    "assist_ended": {
        "cmn": "这次帮办已经结束，您的信息已经从这台机器上清除。谢谢您。",
        "yue": "今次帮办已经完咗，你嘅资料已经喺呢部机度清除咗。多谢你。",
        "en": "This visit is over, and your details have been cleared from this machine. Thank you.",
    },
    "home_trusted": {
        "cmn": "这台手机记住了您。看病买药，点出示医保码就行，不用验证码。",
        "yue": "呢部手机记住咗你。睇病买药，按出示医保码就得，唔使验证码。",
        "en": "This phone remembers you. To see a doctor or buy medicine, tap Show insurance code. No code by text needed.",
    },
    "my_phones": {
        "cmn": "这里是您记住的手机。不认识的手机，点移除。手机丢了，点我的手机丢了。",
        "yue": "呢度係你记住咗嘅手机。唔识嘅手机，按移除。手机唔见咗，按我的手机丢了。",
        "en": "These are the phones that remember you. Tap Remove for any phone you do not know. If you lose your phone, tap My phone is lost.",
    },
    "step_up": {
        "cmn": "改动账户前，请先确认是您本人。可以按指纹、输入数字密码，或者收短信验证码。",
        "yue": "改动户口之前，请先确认係你本人。可以按指纹、输入数字密码，或者收短信验证码。",
        "en": "Before changing your account, confirm it is you: use your fingerprint, your number password, or a code by text.",
    },
    "set_pin": {
        "cmn": "请设一个六位数字的密码，输两次，再点保存数字密码。不要告诉别人。",
        "yue": "请设一个六位数字嘅密码，输入两次，再按保存数字密码。唔好话俾人知。",
        "en": "Choose a six-digit number password, type it twice, then tap Save. Do not tell anyone.",
    },
    "add_passkey": {
        "cmn": "点开通指纹或面容解锁，再按一下指纹或看一下手机。不想用也没关系。",
        "yue": "按开通指纹或面容解锁，再按一下指纹或者望一望部手机。唔想用都冇问题。",
        "en": "Tap Turn on fingerprint or face unlock, then touch the sensor or look at your phone. You do not have to.",
    },
    "help": {
        "cmn": "需要帮忙，请打12393。也可以点请家人帮我，我们会告诉您的家人。",
        "yue": "要帮手，请打12393。你都可以按请家人帮我，我哋会通知你屋企人。",
        "en": "For help, call 12393. Or tap Ask my family for help, and we will tell your family.",
    },
    "voice_settings": {
        "cmn": "这里可以选普通话或者粤语，也可以读慢一点。选好后点保存。",
        "yue": "呢度可以拣普通话或者粤语，亦都可以读慢啲。拣好之后按保存。",
        "en": "Choose Mandarin or Cantonese here, or a slower reading. Then tap Save.",
    },
    "glossary": {
        "cmn": "这里解释医保的几个用词，比如起付线、报销比例和个人账户。",
        "yue": "呢度解释医保嘅几个用词，例如起付线、报销比例同个人账户。",
        "en": "Here a few insurance words are explained, such as deductible, reimbursement rate and personal account.",
    },
    # Each home guide names only the buttons on its own variant of the home page (templates/portal/home.html);
    # "home" is the elder home's four choices.
    "home_standard": {
        "cmn": "这里是医保通。看病买药，点出示医保码。看花了多少钱，点消费记录。要家人帮忙，点亲情账户。备案报销，点办事。",
        "yue": "呢度係医保通。睇病买药，按出示医保码。睇用咗几多钱，按消费记录。要屋企人帮手，按亲情账户。备案报销，按办事。",
        "en": "This is Yibaotong. To see a doctor or buy medicine, tap Show insurance code. To see what you spent, tap Payment records. For help from family, tap Family accounts. For filings and claims, tap Services.",
    },
    "services": {
        "cmn": "这里是办事。常办的事都在这里，点一下就能办。要去窗口的，会告诉您去哪里、带什么。",
        "yue": "呢度係办事。常办嘅事都喺度，按一下就可以办。要去窗口嘅，会话你知去边度、带咩。",
        "en": "These are the services. Tap one to do it here. If it needs a visit to a window, we tell you where to go and what to bring.",
    },
    "service_online": {
        "cmn": "这件事可以在网上办。先看看要准备什么，再点现在就在网上办。",
        "yue": "呢件事可以喺网上办。先睇下要准备啲咩，再按现在就在网上办。",
        "en": "You can do this online. See what you need first, then tap Do it online now.",
    },
    "service_offline": {
        "cmn": "这件事要到窗口办。这一页写着地址、办公时间、电话和要带的东西。",
        "yue": "呢件事要去窗口办。呢一页写住地址、办公时间、电话同要带嘅嘢。",
        "en": "This is done at a service window. This page gives the address, opening hours, phone number and what to bring.",
    },
    "travel_check": {
        "cmn": "要去外地看病，先查一查。选要去的省和城市，填哪天去，再点查一查。",
        "yue": "要去外地睇病，先查一查。拣要去嘅省同城市，填边日去，再按查一查。",
        "en": "Going to see a doctor in another city? Choose the province and city, enter the day, then tap Check.",
    },
    "home_new": {
        "cmn": "这里是医保通。第一次用，点开通并出示医保码。已经开通过的，点已经开通，登录。",
        "yue": "呢度係医保通。第一次用，按开通并出示医保码。已经开通咗嘅，按已经开通，登录。",
        "en": "This is Yibaotong. First time here? Tap Activate and show code. Already activated? Tap Sign in.",
    },
    "home_no_code": {
        "cmn": "您还没有开通医保码，点开通并出示医保码。要帮家人办理，点亲情账户。",
        "yue": "你仲未开通医保码，按开通并出示医保码。要帮屋企人办理，按亲情账户。",
        "en": "You have not activated your code yet: tap Activate and show code. To help a relative, tap Family accounts.",
    },
    "home_suspended": {
        "cmn": "您的医保码已经暂停了。要重新使用，点重新启用医保码。",
        "yue": "你嘅医保码已经暂停咗。要再用，按重新启用医保码。",
        "en": "Your code is paused. To use it again, tap Turn my code back on.",
    },
    "not_active": {
        "cmn": "这个医保码现在用不了。页面上写着原因和怎么办。有难处，请打12393。",
        "yue": "呢个医保码而家用唔到。页面写住原因同点做。有困难，请打12393。",
        "en": "This code cannot be used now. The page says why and what to do. If you are stuck, call 12393.",
    },
    "family_activate": {
        "cmn": "您正在替家人开通医保码。请先问过她，她同意了，再勾选她同意开通医保码，然后点替她开通。",
        "yue": "你而家帮屋企人开通医保码。请先问过佢，佢同意咗，再剔她同意开通医保码，然后按替她开通。",
        "en": "You are activating your relative's code. Ask her first; if she agrees, tick She agrees, then tap Activate.",
    },
    "family_approval": {
        "cmn": "社区帮办员正在为您的家人办理。看看要办的事，同意就点同意，不同意就点不同意。",
        "yue": "社区帮办员而家帮你屋企人办理。睇下要办嘅事，同意就按同意，唔同意就按唔同意。",
        "en": "A community helper is serving your relative. Read what they will do, then agree or refuse.",
    },
    "assist_code": {
        "cmn": "这是您的医保码。请让收费员扫一下屏幕上的码。",
        "yue": "呢个係你嘅医保码。请俾收费员扫一下屏幕上面嘅码。",
        "en": "This is your insurance code. Let the cashier scan the code on the screen.",
    },
    "assist_records": {
        "cmn": "这里是您的消费记录。每一行是一次看病或买药，写着您自己付了多少。",
        "yue": "呢度係你嘅消费记录。每一行係一次睇病或者买药，写住你自己俾咗几多。",
        "en": "These are your payments. Each line is one visit or purchase, with what you paid yourself.",
    },
    "filing_start": {
        "cmn": "异地就医备案。先选您属于哪一种，再选要去的城市和日期，然后点下一步。要准备的材料写在每一种下面。",
        "yue": "异地就医备案。先拣你属于边一种，再拣要去嘅城市同日期，然后按下一步。要准备嘅材料写喺每一种下面。",
        "en": "Cross-region care filing. Choose which kind fits you, then the city and the dates, and tap Next. What to prepare is listed under each kind.",
    },
    "filing_materials": {
        "cmn": "第二步。按“拍照”给每样材料拍一张照片。写着承诺的，勾选就行。然后点提交备案。",
        "yue": "第二步。按“影相”帮每样材料影一张相。写住承诺嘅，剔一下就得。然后按提交备案。",
        "en": "Step two. Take one photo of each document. For the promise, just tick the box. Then tap Submit.",
    },
    "filing_done": {
        "cmn": "备案提交好了。已通过的，到了那边看病直接用医保码。要审核的，办好了会发短信告诉您。",
        "yue": "备案交咗喇。已经通过嘅，去到嗰边睇病直接用医保码。要审核嘅，办好咗会发短信话你知。",
        "en": "Your filing is submitted. If it is approved, use your insurance code there. If it needs review, we will text you when it is done.",
    },
    "filing_detail": {
        "cmn": "这里是您的异地就医备案。绿色勾表示已通过。退回的，按提示改好后重新提交。要改日期或取消，点下面的按钮。",
        "yue": "呢度係你嘅异地就医备案。有勾即係通过咗。退返嘅，照提示改好再交。要改日期或者取消，按下面嘅掣。",
        "en": "These are your cross-region filings. A tick means approved. If one was returned, fix it as told and submit again. To change dates or cancel, use the buttons below.",
    },
    "contribution": {
        "cmn": "这里交今年的医保费。上面写着要交多少钱。点去支付，付好后会发短信告诉您。已经交了的，不用再交。",
        "yue": "呢度交今年嘅医保费。上面写住要交几多钱。按去支付，俾咗钱之后会发短信话你知。已经交咗嘅，唔使再交。",
        "en": "Pay this year's insurance contribution here. The amount is shown above. Tap Go to pay; you will get a text message when it is paid. If it is already paid, you do not need to pay again.",
    },
    "order": {
        "cmn": "这里是您的缴费订单。付好后这里会变成已支付，不用重复付款。交好后可以打印收据。",
        "yue": "呢度係你嘅缴费订单。俾咗钱之后呢度会变成已支付，唔使重复俾钱。交好之后可以打印收据。",
        "en": "This is your payment order. Once paid it changes to Paid by itself; do not pay twice. After paying you can print the receipt.",
    },
    "cashier": {
        "cmn": "这是收银台。看清楚金额，点确认支付。不想付了，点取消。",
        "yue": "呢度係收银台。睇清楚金额，按确认支付。唔想俾住，按取消。",
        "en": "This is the cashier. Check the amount, then tap Confirm payment. To stop, tap Cancel.",
    },
    "assist_filing": {
        "cmn": "帮办员正在为您办异地就医备案。请告诉他您要去哪个城市、从哪天到哪天。",
        "yue": "帮办员而家帮你办异地就医备案。请话俾佢知你要去边个城市、由边日到边日。",
        "en": "The helper is filing cross-region care for you. Tell them which city you are going to and the dates.",
    },
    "assist_bind_family": {
        "cmn": "帮办员正在为您绑定家人。请看看家人的名字和他能做的事对不对。",
        "yue": "帮办员而家帮你绑定屋企人。请睇下屋企人嘅名同佢可以做嘅事啱唔啱。",
        "en": "The helper is linking a relative to your account. Check the name and what they may do.",
    },
    "chronic": {
        "cmn": "这里是门诊慢特病。认定以后，看这个病、买这个药，医保报得更多。已经认定的，这里写着有效期到哪天。要申请，点申请认定。",
        "yue": "呢度係门诊慢特病。认定之后，睇呢个病、买呢个药，医保报得多啲。已经认定嘅，呢度写住有效期到边日。要申请，按申请认定。",
        "en": "This is chronic illness outpatient cover. Once it is granted, insurance pays more for that illness and its medicine. Granted ones show the date they last until. To apply, tap Apply.",
    },
    "chronic_apply": {
        "cmn": "请点您得的病，写上开证明的医院，再拍一张医院诊断证明的照片。最后点提交申请。",
        "yue": "请按你得嘅病，写低开证明嘅医院，再影一张医院诊断证明嘅相。最后按提交申请。",
        "en": "Tap your illness, write the hospital that gave the certificate, and take a photo of the certificate. Then tap Submit.",
    },
    "chronic_detail": {
        "cmn": "这里是您申请的进度。审核好了，这里会马上变，也会发短信告诉您。要是退回了，照原因重新拍照片上传就行。",
        "yue": "呢度係你申请嘅进度。审核好咗，呢度会即刻变，亦会发短信话你知。如果退返，照原因重新影相上传就得。",
        "en": "This shows how your application is going. It changes here as soon as it is decided, and you get a text message. If it is sent back, take a new photo as the reason says and upload it.",
    },
    "assist_chronic": {
        "cmn": "帮办员正在帮您申请门诊慢特病。请看看病名和医院对不对，再把诊断证明给帮办员拍照。",
        "yue": "帮办员而家帮你申请门诊慢特病。请睇下病名同医院啱唔啱，再将诊断证明畀帮办员影相。",
        "en": "The helper is applying for chronic illness cover for you. Check the illness and hospital, then let the helper photograph the certificate.",
    },
    "tax_statement": {
        "cmn": "这里算一年里医保范围内您自己付了多少钱。超过一万五千元的部分，可以在个人所得税里扣除。先点年份，再点打印证明。",
        "yue": "呢度计一年入面医保范围内你自己俾咗几多钱。超过一万五千蚊嘅部分，可以喺个人所得税度扣除。先按年份，再按打印证明。",
        "en": "This adds up what you paid yourself for covered care in a year. The part above 15,000 yuan can be deducted from income tax. Choose the year, then tap Print the statement.",
    },
    "tax_verify": {
        "cmn": "这里核对一张个税扣除证明是不是医保通开的。写着真实有效，就可以用。",
        "yue": "呢度核对一张个税扣除证明係唔係医保通开嘅。写住真实有效，就可以用。",
        "en": "This checks whether a tax deduction statement was issued by this portal. If it says genuine, it can be used.",
    },
    "my_data": {
        "cmn": "这里可以把医保通里您的全部资料下载下来，或者打印出来。下载的文件里有身份证号，请不要随便发给别人。",
        "yue": "呢度可以将医保通入面你嘅全部资料下载落嚟，或者打印出嚟。下载嘅文件有身份证号码，唔好随便发畀人。",
        "en": "Here you can download or print everything this portal holds about you. The file has your ID number: do not send it to others.",
    },
    "claims": {
        "cmn": "这里是您的报销申请。每一笔写着审核到哪一步、还剩几天。退回的，点改好后重新提交。",
        "yue": "呢度係你嘅报销申请。每一笔写住审核到边一步、仲有几日。退返嘅，按改好再交。",
        "en": "These are your reimbursement claims, each with its progress and the days left. If one was returned, tap Fix and submit again.",
    },
    "claim_new": {
        "cmn": "请对一下发票，填上发票上的总金额。下一步拍发票和付款凭证的照片，再选钱打到哪里。",
        "yue": "请对下发票，填低发票上嘅总金额。下一步影发票同付款凭证，再拣钱打去边度。",
        "en": "Check the invoice and enter its total. Next, photograph the invoice and the payment slip, and choose where the money goes.",
    },
    "claim_detail": {
        "cmn": "这里是您的这笔报销。审核完会发短信告诉您。通过后写着医保付了多少、为什么，钱打到哪里。",
        "yue": "呢度係你呢笔报销。审核完会发短信话你知。通过之后写住医保俾咗几多、点解，钱打去边度。",
        "en": "This is your claim. You get a text when it is decided. Once approved, it shows what insurance paid, why, and where the money went.",
    },
    "notice_settings": {
        "cmn": "这里设置医保通怎么提醒您。看不清字的，选打电话。晚上不想被吵，选免打扰的钟点。结算没成功，照样马上告诉您。选好点保存。",
        "yue": "呢度设定医保通点样提醒你。睇唔清字嘅，拣打电话。夜晚唔想被嘈，拣免打扰嘅钟点。结算唔成功，照样即刻话你知。拣好按保存。",
        "en": "Choose how Yibaotong tells you about things. If reading is hard, choose a phone call. Choose quiet hours for the night. A failed payment is still told at once. Then tap Save.",
    },
    "rescue": {
        "cmn": "别着急，我们帮您。要家人帮忙，点请家人帮我。要社区帮办员打电话教您，点请帮办员打电话给我。",
        "yue": "唔使急，我哋帮你。要屋企人帮手，按请家人帮我。要社区帮办员打电话教你，按请帮办员打电话给我。",
        "en": "Don't worry, we will help. For help from family, tap Ask my family. For a call from a community helper, tap Ask a helper to call me.",
    },
    "rescue_family": {
        "cmn": "请给子女打个电话，请他用自己的手机打开医保通，点亲情账户，添加您，就能帮您办。",
        "yue": "请打电话畀仔女，叫佢用自己部手机打开医保通，按亲情账户，加你落去，就可以帮你办。",
        "en": "Call your son or daughter. They open Yibaotong on their own phone, tap Family account and add you, then they can do it for you.",
    },
    "callback": {
        "cmn": "社区帮办员会打电话给您，一步一步帮您办好。看看号码对不对，然后点请打电话给我。",
        "yue": "社区帮办员会打电话畀你，一步一步帮你办好。睇下号码啱唔啱，然后按请打电话给我。",
        "en": "A community helper will call you and help you step by step. Check the number, then tap Please call me.",
    },
    "callback_done": {
        "cmn": "已经记下了。工作时间两小时内，社区帮办员会打电话给您。请留意来电。",
        "yue": "已经记低咗。返工时间两个钟之内，社区帮办员会打电话畀你。请留意来电。",
        "en": "Done. A community helper will call you within two working hours. Please keep your phone nearby.",
    },
    "not_found": {
        "cmn": "这个页面找不到了。请点回到首页。",
        "yue": "呢个页面搵唔到。请按回到首页。",
        "en": "This page cannot be found. Tap Back to the home page.",
    },
}

# Each feature's guides live in their own module so that adding a page touches one file.
GUIDES.update(LEARN_GUIDES)
GUIDES.update(PACK_GUIDES)
GUIDES.update(VISIT_GUIDES)


def guide_text(key: str, lang: str | None = None) -> str:
    """The guide's words. With `lang` ("cmn", "yue") the words spoken in that language; without it, the words shown
    on screen in the page's language (Mandarin on Chinese pages, English on English ones; the voice stays Chinese).
    KeyError if the guide does not exist."""
    texts = GUIDES[key]
    if lang is None:
        lang = "en" if (get_language() or "zh-hans").startswith("en") else "cmn"
    return texts.get(lang) or texts["cmn"]


def all_guides() -> Iterator[tuple[str, str, str, str]]:
    """(key, lang, rate, text) for every guide in every language and rate: what is pre-generated."""
    for key in GUIDES:
        for lang in LANGS:
            for rate in RATES:
                yield key, lang, rate, guide_text(key, lang)
