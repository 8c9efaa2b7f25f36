// The officers' console's only script: deadline countdowns, and a confirmation before a
// form that answers the authority (approve, refuse, deactivate). Every page works without it.
"use strict";
(function () {
  function format(seconds) {
    var sign = seconds < 0 ? "-" : "";
    var s = Math.abs(seconds);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) { return sign + d + " d " + h + " h"; }
    return sign + (h ? h + " h " : "") + m + " min" + (h ? "" : " " + (s % 60) + " s");
  }
  var countdowns = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-seconds]"));
  var started = Date.now();
  function tick() {
    var elapsed = Math.floor((Date.now() - started) / 1000);
    countdowns.forEach(function (el) {
      var left = parseInt(el.getAttribute("data-seconds"), 10) - elapsed;
      if (isNaN(left)) { return; }
      el.textContent = format(left);
      el.title = el.getAttribute("data-deadline") || el.title;
      el.classList.toggle("late", left < 0);
    });
  }
  countdowns.forEach(function (el) { el.setAttribute("data-deadline", el.textContent); });
  if (countdowns.length) { tick(); setInterval(tick, 1000); }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm") + " ?")) { event.preventDefault(); }
    });
  });
})();
