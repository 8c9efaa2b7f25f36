"""Surge detection: report velocity, viral content and coordinated mass-reporting campaigns.

The one faust-streaming app of Crible. Pure rules live in plain modules (``windows``,
``baseline``, ``reporters``, ``campaigns``, ``detect``, ``records``); ``app`` is the faust
adapter around them and ``service`` hands it to the shared runtime.
"""
