"""What Crible's browser consoles share: headers, timing, language, CSRF, styles.

Dispatch's reviewer console and legal's officers' console are each served by their own
service, with their own pages and sessions; this is the part that is the same for both:
the security headers every page carries, the ``Server-Timing`` header, the language choice,
the CSRF comparison and the stylesheet and icon (``static/``, served beside each console's
own files under ``/console/static``).
"""
