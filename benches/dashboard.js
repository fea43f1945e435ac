// The full / quick switch: one panel per kind of run. Without scripts the default panel shows
// and no dead buttons are drawn, since the buttons are made here.
(function () {
  "use strict";
  const nav = document.getElementById("modes");
  const panels = Array.from(document.querySelectorAll(".panel"));

  function show(mode) {
    for (const panel of panels) panel.hidden = panel.dataset.mode !== mode;
    for (const button of nav.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.modeTab === mode));
    }
  }

  for (const panel of panels) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.modeTab = panel.dataset.mode;
    button.textContent = panel.dataset.title;
    button.addEventListener("click", function () {
      show(panel.dataset.mode);
      history.replaceState(null, "", "#" + panel.dataset.mode);
    });
    nav.appendChild(button);
  }
  const wanted = location.hash.slice(1);
  show(panels.some((p) => p.dataset.mode === wanted) ? wanted : nav.dataset.default);
  // Read by the test: the script ran to its end.
  document.documentElement.dataset.dashboard = "ready";
})();
