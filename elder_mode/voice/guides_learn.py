"""Spoken guides for the tutorials (教程) and practice (练习) pages of `learn`: same shape as `guides.GUIDES`."""

LEARN_GUIDES: dict[str, dict[str, str]] = {
    # Practice mode (练习): every practice page says it is practice and that no money is taken.
    "practice_start": {
        "cmn": "这里是练习，不会扣钱，也不用登录。点开始练习。在上课的话，填老师给的6位课堂号，点加入课堂。",
        "yue": "呢度係练习，唔会扣钱，都唔使登录。按开始练习。喺度上堂嘅话，填老师俾嘅6位课堂号，按加入课堂。",
        "en": "This is practice: no money is taken and you do not need to sign in. Tap Start. In a class, enter the 6-digit class number and tap Join.",
    },
    "practice_home": {
        "cmn": "这是练习，不会扣钱。点出示医保码，再请家人或老师扫下面的码，当一次收费员。",
        "yue": "呢个係练习，唔会扣钱。按出示医保码，再请屋企人或者老师扫下面个码，做一次收费员。",
        "en": "This is practice; no money is taken. Tap Show code, then ask family or a teacher to scan the code below and play the cashier.",
    },
    "practice_code": {
        "cmn": "这是练习用的医保码，不会扣钱。请收费员扫一下，等一会儿，结算结果会显示在这里。",
        "yue": "呢个係练习用嘅医保码，唔会扣钱。请收费员扫一下，等一阵，结算结果会喺度显示。",
        "en": "This is a practice code; no money is taken. Let the cashier scan it and wait: the result appears here.",
    },
    "practice_counter": {
        "cmn": "这是练习收费台，不会扣钱。选好手机，填上买了几样东西，点结算。结果会马上出现在她的手机上。",
        "yue": "呢个係练习收费台，唔会扣钱。拣好手机，填买咗几样嘢，按结算。结果会即刻喺佢部手机度出现。",
        "en": "This is the practice counter; no money is taken. Choose the phone, enter what was bought and tap Settle. The result shows on her phone at once.",
    },
    "practice_class": {
        "cmn": "点开课，屏幕上会出现一个6位课堂号。请大家在手机上输入这个号码加入练习。",
        "yue": "按开课，屏幕会出一个6位课堂号。请大家喺手机度输入呢个号码加入练习。",
        "en": "Tap Open class and a 6-digit class number appears. Everyone enters it on their phone to join.",
    },
    "practice_expired": {
        "cmn": "这次练习时间到了，已经清除了。点重新开始，再练一次。",
        "yue": "今次练习时间到咗，已经清除咗。按重新开始，再练一次。",
        "en": "This practice has ended and was cleared. Tap Start again to practise once more.",
    },
    # The tutorials' step guides (tutorial_<slug>_<n>) are added by learn at start-up from learn/tutorials.py.
    "tutorial_list": {
        "cmn": "这里是教程。点一个您想学的事，一步一步看，还能听。学完可以去练习，不会扣钱。",
        "yue": "呢度係教程。按一样你想学嘅事，一步一步睇，仲可以听。学完可以去练习，唔会扣钱。",
        "en": "These are the tutorials. Tap what you want to learn and go step by step; you can listen too. Then practise: no money is taken.",
    },
    "tutorial_print": {
        "cmn": "这是可以打印的一页纸。点打印，拿给家人或者课堂上用。",
        "yue": "呢张係可以打印嘅一页纸。按打印，俾屋企人或者上堂用。",
        "en": "This is a one-page handout. Tap Print to use it at home or in a class.",
    },
}
