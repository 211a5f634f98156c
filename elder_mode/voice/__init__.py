"""Spoken guidance for elder mode: speech engines, the compact audio format, the disk cache, the fixed guides.

``engines`` (espeak-ng offline, gTTS online, tried in the order of ``VOICE_ENGINES``), ``audio`` (WAV or MP3 in,
small MP3 out, ≤ 24 KB per 10 s), ``cache`` (files named by a hash of engine, voice, rate and text), ``guides``
(the short sentence of every step, also shown on screen), ``views`` (``/elder/voice/...``). Imports no domain app.
"""
