/* Accessible names for the Jupyter widgets on a static page (no kernel).
 *
 * The widget manager draws each slider as a noUiSlider handle with role="slider" but no name, so a
 * screen reader announced a bare number ("5" for the fifth option, "-0.9" for a log slider's
 * exponent).  Here every handle is named by its widget's label (aria-label) and announces the value
 * the readout shows (aria-valuetext); a disabled slider's handle leaves the tab order and says it is
 * disabled.  An explorer keeps each figure's description in a hidden widget beside the image
 * (class nnk-alt); it becomes the image's alt text.  Re-applied whenever the widgets change. */
(function () {
  "use strict";

  function text(el) {
    if (!el) { return ""; }
    var shown = (el.textContent || "").replace(/\s+/g, " ").trim();
    var title = el.getAttribute("title");
    return shown || (title && title !== "null" ? title : "");
  }

  function label(root) {
    root.querySelectorAll(".widget-slider").forEach(function (slider) {
      var handle = slider.querySelector("[role=slider]");
      if (!handle) { return; }
      var name = text(slider.querySelector(".widget-label")) || "value";
      var shown = text(slider.querySelector(".widget-readout"));
      if (handle.getAttribute("aria-label") !== name) { handle.setAttribute("aria-label", name); }
      if (shown && handle.getAttribute("aria-valuetext") !== shown) { handle.setAttribute("aria-valuetext", shown); }
      var disabled = slider.classList.contains("mod-disabled") ||
        !!slider.querySelector(".noUi-target[disabled]");
      if (disabled) {
        handle.setAttribute("tabindex", "-1");
        handle.setAttribute("aria-disabled", "true");
      } else if (handle.getAttribute("aria-disabled") === "true") {
        handle.setAttribute("tabindex", "0");
        handle.removeAttribute("aria-disabled");
      }
    });
    root.querySelectorAll("img.widget-image").forEach(function (img) {
      var holder = img.parentElement && img.parentElement.querySelector(":scope > .nnk-alt");
      var description = holder ? text(holder) : "";
      if (description && img.getAttribute("alt") !== description) { img.setAttribute("alt", description); }
    });
  }

  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; label(document); });
  }

  function start() {
    label(document);
    new MutationObserver(schedule).observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true,
      attributeFilter: ["class", "disabled", "title", "aria-valuenow"]
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
