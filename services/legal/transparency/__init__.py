"""Transparency reports (DSA art. 15): legal requests and moderation figures for a period.

``periods``, ``trail``, ``figures``, ``moderation`` and ``report`` are the pure core;
``source`` reads the database in one consistent snapshot; ``tables``, ``charts`` and
``page`` render CSV and HTML; ``command`` is ``crible transparency``.
"""
