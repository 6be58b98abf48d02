// Chancy dashboard: confirmation for destructive forms and "select all".
// The pages work without it.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.id !== "select-all") {
    return;
  }
  var boxes = document.querySelectorAll("input[name='ids']");
  for (var i = 0; i < boxes.length; i++) {
    boxes[i].checked = box.checked;
  }
});
