/* The theme's Font Awesome icons as inline SVG: only the ones the book uses (written by
 * book/tools/make_icons.py from Font Awesome's own data, with its stylesheet), in place of the 1.5 MB
 * fontawesome.js.  Each <i class="fa-solid fa-NAME ..."> (or fas, far, fab, fa-regular, fa-brands) becomes
 * the <svg> Font Awesome would insert, keeping the element's classes and attributes, when the page loads
 * and whenever the page adds more. */
(function () {
  "use strict";
  var ICONS = /*ICONS*/{};
  var CSS = /*CSS*/"";
  var PREFIX = { "fa-solid": "fas", fas: "fas", "fa-regular": "far", far: "far", "fa-brands": "fab", fab: "fab" };
  var SVG = "http://www.w3.org/2000/svg";

  function replace(el) {
    var prefix = "fas", icon = null;
    el.classList.forEach(function (c) { if (PREFIX[c]) prefix = PREFIX[c]; });
    el.classList.forEach(function (c) {
      if (!icon && c.indexOf("fa-") === 0 && ICONS[prefix + " " + c.slice(3)]) icon = c.slice(3);
    });
    if (!icon) return;
    var d = ICONS[prefix + " " + icon];
    var svg = document.createElementNS(SVG, "svg");
    Array.prototype.forEach.call(el.attributes, function (a) { svg.setAttribute(a.name, a.value); });
    svg.setAttribute("class", "svg-inline--fa " + el.getAttribute("class"));
    svg.setAttribute("data-prefix", prefix);
    svg.setAttribute("data-icon", icon);
    svg.setAttribute("focusable", "false");
    svg.setAttribute("role", "img");
    svg.setAttribute("viewBox", "0 0 " + d[0] + " " + d[1]);
    if (!el.hasAttribute("title") && !el.hasAttribute("aria-label")) svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", d[2]);
    svg.appendChild(path);
    el.replaceWith(svg);
  }

  function scan(root) {
    if (root.querySelectorAll) root.querySelectorAll("i[class*='fa-'], span[class*='fa-']").forEach(replace);
  }

  function start() {
    var style = document.createElement("style");
    style.textContent = CSS;
    document.head.appendChild(style);
    scan(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (c) {
        c.addedNodes.forEach(function (n) {
          if (n.nodeType !== 1) return;
          if (n.matches && n.matches("i[class*='fa-'], span[class*='fa-']")) replace(n);
          else scan(n);
        });
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
