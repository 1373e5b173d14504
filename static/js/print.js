// Shows the Print button only when JavaScript can print; without JavaScript use the browser's menu.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector(".print-button");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
