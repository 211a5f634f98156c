"""Spoken guides for help points (帮办点) and home visits (上门服务) in `assist`: same shape as `guides.GUIDES`."""

VISIT_GUIDES: dict[str, dict[str, str]] = {
    "help_points": {
        "cmn": "这里能找到帮您办医保的地方。选您住的地区，点找帮办点。也可以点用我的位置找最近的。",
        "yue": "呢度可以搵到帮你办医保嘅地方。拣你住嘅地区，按找帮办点。都可以按用我的位置找最近的。",
        "en": "Find a place where someone helps you in person. Choose your area and tap Find, or tap Use my location to find the nearest.",
    },
    "help_point": {
        "cmn": "这是一个帮办点。上面写着地址和开放时间。点打电话，可以先问一问。去的时候带上身份证。",
        "yue": "呢个係帮办点。上面写住地址同开放时间。按打电话，可以先问下。去嗰阵带埋身份证。",
        "en": "This is a help point. Its address and opening hours are above. Tap Call to ask first. Bring your ID card.",
    },
    "visit_list": {
        "cmn": "这里是您的上门服务。帮办员接单、约好时间，这里都会写出来。要请人上门，点请帮办员上门。",
        "yue": "呢度係你嘅上门服务。帮办员接单、约好时间，呢度都会写出嚟。要请人上门，按请帮办员上门。",
        "en": "These are your home visits. When a helper takes one or sets a time, it shows here. To ask for a visit, tap Ask a helper to visit.",
    },
    "visit_new": {
        "cmn": "请选要办的事，写上地址和能打通的电话，再点提交上门申请。帮办员会打电话和您约时间。",
        "yue": "请拣要办嘅事，写低地址同打得通嘅电话，再按提交上门申请。帮办员会打电话同你约时间。",
        "en": "Choose what you need, write your address and a phone number we can reach, then tap Send. A helper will call you to set a time.",
    },
    "visit_detail": {
        "cmn": "这是您的上门服务现在的情况。帮办员约好时间后，这里会马上写出来。不需要了，可以取消。",
        "yue": "呢个係你嘅上门服务而家嘅情况。帮办员约好时间之后，呢度会即刻写出嚟。唔需要，可以取消。",
        "en": "This is where your home visit stands. When the helper sets a time it shows here at once. If you no longer need it, you can cancel.",
    },
}
