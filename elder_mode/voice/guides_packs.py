"""Spoken guides for the dialect voice pack pages (recording, review, coverage, choosing a dialect): same shape as `guides.GUIDES`."""

PACK_GUIDES: dict[str, dict[str, str]] = {
    "pack_index": {
        "cmn": "这里是方言录音。每个方言录了多少句都在表里。点录音就开始录。别人录的，点等审核的录音去听。",
        "yue": "呢度係方言录音。每种方言录咗几多句都喺表入面。按录音就开始录。人哋录嘅，按等审核嘅录音去听。",
        "en": "This is dialect recording. The table shows how many sentences each dialect has. Tap to record. To check others' recordings, tap Recordings to review.",
    },
    "pack_coverage": {
        "cmn": "这里是要录的句子。点录这一句，就能录音。写着需要重录的，是文字改过了，请再录一次。",
        "yue": "呢度係要录嘅句子。按录呢一句，就可以录音。写住需要重录嘅，係文字改过，请再录一次。",
        "en": "These are the sentences to record. Tap Record this sentence. Those marked Record again had their words changed.",
    },
    "pack_record": {
        "cmn": "请用方言读屏幕上的这一句。点开始录音，读完点停止，听一听，满意就点发送。",
        "yue": "请用方言读屏幕上面呢一句。按开始录音，读完按停止，听一听，满意就按发送。",
        "en": "Read the sentence on the screen in your dialect. Tap Start recording, tap Stop when done, listen, then tap Send.",
    },
    "pack_review": {
        "cmn": "请听每一段录音。读得对、听得清，就点通过。不行的话，写上原因，点不通过。自己录的不能自己审核。",
        "yue": "请听每一段录音。读得啱、听得清，就按通过。唔得嘅话，写低原因，按不通过。自己录嘅唔可以自己审核。",
        "en": "Listen to each recording. If it is right and clear, tap Approve. If not, write why and tap Reject. You cannot review your own.",
    },
    "pack_volunteers": {
        "cmn": "填上志愿者的手机号，选他会说的方言，点登记。都不选，就是停止他录音。",
        "yue": "填上志愿者嘅手机号码，拣佢识讲嘅方言，按登记。乜都唔拣，就係停止佢录音。",
        "en": "Enter the volunteer's mobile number, choose the dialects they speak, and tap Register. Choose none to stop them recording.",
    },
}
