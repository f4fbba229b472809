// The dashboard without this script gives interview times in the interview's own time zone;
// with it, a time in another zone than the browser's also shows in the candidate's own.
(function () {
  "use strict";
  var here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("time[data-zone]").forEach(function (node) {
    if (!here || node.dataset.zone === here) return;
    var starts = new Date(node.getAttribute("datetime"));
    var ends = new Date(node.dataset.ends);
    if (isNaN(starts) || isNaN(ends)) return;
    var day = { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };
    var hour = { hour: "2-digit", minute: "2-digit" };
    var local = document.createElement("span");
    local.className = "local-time";
    local.textContent = " · your time: " + starts.toLocaleString(undefined, day) + "–" +
      ends.toLocaleTimeString(undefined, hour) + " (" + here + ")";
    node.parentNode.appendChild(local);
  });
})();
