// The console's only script: countdowns, keyboard shortcuts, a confirmation for decisions
// the user cannot undo. Every page works without it.
"use strict";
(function () {
  function format(seconds) {
    var sign = seconds < 0 ? "-" : "";
    var s = Math.abs(seconds);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return sign + (h ? h + " h " : "") + m + " min " + (h ? "" : r + " s");
  }
  var countdowns = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-seconds]"));
  var started = Date.now();
  function tick() {
    var elapsed = Math.floor((Date.now() - started) / 1000);
    countdowns.forEach(function (el) {
      var left = parseInt(el.getAttribute("data-seconds"), 10) - elapsed;
      if (isNaN(left)) { return; }
      el.textContent = format(left);
      el.classList.toggle("late", left < 0);
    });
  }
  if (countdowns.length) { tick(); setInterval(tick, 1000); }

  var decide = document.getElementById("decide-form");
  if (decide) {
    decide.addEventListener("submit", function (event) {
      var chosen = decide.querySelector("input[name=outcome]:checked");
      var confirmed = document.getElementById("confirmed");
      if (chosen && chosen.getAttribute("data-irreversible") === "yes") {
        var label = document.querySelector("label[for=" + chosen.id + "]").textContent;
        if (!window.confirm(label + " ?")) { event.preventDefault(); return; }
        confirmed.checked = true;
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && target.type !== "radio") { return; }
    var key = event.key;
    var el = document.querySelector("[data-key='" + key + "']");
    if (!el) { return; }
    event.preventDefault();
    if (el.type === "radio") { el.checked = true; el.focus(); return; }
    if (el.id === "escalate" || el.id === "hold") {
      var input = el.form.querySelector("input[name=reason]");
      if (!input.value) { input.focus(); return; }
    }
    el.click();
  });
})();
