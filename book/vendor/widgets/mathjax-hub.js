/* The Jupyter widgets HTML manager typesets widget labels with the MathJax 2 call
 * MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3, which has no Hub,
 * so every widget with a label threw "Cannot read properties of undefined (reading 'Queue')".
 * This maps that one call onto MathJax 3's typesetPromise, before and after MathJax 3 starts up
 * (MathJax 3 replaces the global config object with itself, so the Hub is attached again in ready()). */
(function () {
  "use strict";
  var pending = [];
  var hub = {
    Queue: function (command) {
      var element = Array.isArray(command) ? command[2] : undefined;
      var mj = window.MathJax;
      if (mj && typeof mj.typesetPromise === "function") {
        mj.typesetPromise(element ? [element] : undefined).catch(function () {});
      } else if (element) {
        pending.push(element);
      }
    }
  };
  var config = window.MathJax = window.MathJax || {};
  config.Hub = hub;
  config.startup = config.startup || {};
  var ready = config.startup.ready;
  config.startup.ready = function () {
    if (typeof ready === "function") { ready(); } else { window.MathJax.startup.defaultReady(); }
    window.MathJax.Hub = hub;
    if (pending.length) {
      var elements = pending.splice(0, pending.length);
      window.MathJax.startup.promise.then(function () { return window.MathJax.typesetPromise(elements); })
        .catch(function () {});
    }
  };
})();
