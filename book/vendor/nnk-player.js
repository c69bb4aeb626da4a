/* The explorers on the published page, where no kernel runs.
 *
 * Each <div class="nnk-player"> carries the states its explorer drew when the book was built
 * (widgets/page.py): per state, the controls' values, a background and an overlay image (each also
 * drawn for the dark page, shown in the theme's dark mode), the readout and the alt text.  This script builds the controls, looks the chosen state up and swaps
 * the images.  It computes nothing about the figure: every number and pixel comes from Python.
 *
 * A state is written "name=value;name=value"; the page's address "#<player>:<state>" opens a player
 * in that state, and the address follows the reader's moves, so it can be copied and shared.
 */
(function () {
  "use strict";
  const timings = (window.nnkTimings = window.nnkTimings || []);
  const players = (window.nnkPlayers = window.nnkPlayers || {});
  const cache = new Map(); // url -> decoded Image, so a swap paints at once

  function prefetch(url) {
    if (!url || cache.has(url)) return;
    const img = new Image();
    img.src = url;
    cache.set(url, img);
    img.decode().catch(function () {});
    if (cache.size > 400) cache.delete(cache.keys().next().value);
  }

  function plain(markup) {
    const div = document.createElement("div");
    div.innerHTML = markup.replace(/<br\s*\/?>/g, "; ");
    return div.textContent.replace(/\s+/g, " ").trim();
  }

  function Player(root) {
    const data = JSON.parse(root.querySelector(".nnk-player-data").textContent);
    const name = data.name;
    const layer = data.layer;
    const specs = data.controls;
    const grid = specs.filter(function (c) { return c.name !== layer; });
    const states = data.states;
    const frame = root.querySelector(".nnk-frame");
    const background = frame.querySelector(".nnk-background");
    const overlay = frame.querySelector(".nnk-overlay");
    const layerImgs = {};
    frame.querySelectorAll(".nnk-layer").forEach(function (img) { layerImgs[img.dataset.layer] = img; });
    const readout = root.querySelector(".nnk-readout");
    const box = root.querySelector(".nnk-controls");
    const inputs = {};
    let want = {};
    let chosen = new Set();
    let current = null;
    let near = false; // nothing is fetched ahead until the player comes near the screen

    // -- looking states up --------------------------------------------------------------------
    function matches(s, w) {
      for (let i = 0; i < grid.length; i++) {
        if (s.v[i] !== null && s.v[i] !== w[grid[i].name]) return false;
      }
      return true;
    }
    function find(w, fixed) {
      for (const s of states) if (matches(s, w)) return s;
      // not drawn: the drawn state that agrees with the most controls, keeping the one just moved
      let best = null, score = -1;
      for (const s of states) {
        if (fixed && s.v[grid.findIndex(function (c) { return c.name === fixed; })] !== w[fixed]) continue;
        let k = 0;
        grid.forEach(function (c, i) { if (s.v[i] === w[c.name]) k++; });
        if (k > score) { best = s; score = k; }
      }
      return best || states[0];
    }
    // the values of range control i reachable from state s with every other control kept
    function reachable(i, s) {
      const seen = new Set();
      for (const t of states) {
        let ok = t.v[i] !== null;
        for (let j = 0; ok && j < grid.length; j++) if (j !== i && t.v[j] !== s.v[j]) ok = false;
        if (ok) seen.add(t.v[i]);
      }
      return grid[i].values.filter(function (v) { return seen.has(v); });
    }
    // the controls that apply in state s, as "name=value;name=value" (widgets/page.py writes the same)
    function stateString(s, w, layers) {
      const parts = [];
      specs.forEach(function (c) {
        if (c.name === layer) {
          const keys = c.options.map(function (o) { return o[0]; }).filter(function (k) { return layers.has(k); });
          parts.push(c.name + "=" + (keys.join("+") || "none"));
        } else if (s.v[grid.indexOf(c)] !== null) {
          parts.push(c.name + "=" + w[c.name]);
        }
      });
      return parts.join(";");
    }
    function withResets(w, control, value) {
      const moved = ((data.resets || {})[control] || {})[value] || {};
      return Object.assign({}, w, moved);
    }
    function parse(text) {
      const given = {};
      text.split(";").forEach(function (part) {
        const k = part.indexOf("=");
        if (k > 0) given[part.slice(0, k)] = part.slice(k + 1);
      });
      let w = Object.assign({}, want);
      let layers = new Set(chosen);
      specs.forEach(function (c) {
        if (!(c.name in given)) return;
        if (c.name === layer) {
          layers = new Set(given[c.name] === "none" ? [] : given[c.name].split("+"));
        } else {
          if (c.kind === "select") w = withResets(w, c.name, given[c.name]);
          w[c.name] = given[c.name];
        }
      });
      specs.forEach(function (c) { if (c.name !== layer && c.name in given) w[c.name] = given[c.name]; });
      return { want: w, layers: layers };
    }

    // -- showing a state ----------------------------------------------------------------------
    // image number i as drawn for the page's colour mode: the theme's dark mode has its own rendering
    function imageUrl(i) {
      const dark = document.documentElement.dataset.theme === "dark" && data.images_dark;
      return (dark ? data.images_dark : data.images)[i];
    }
    function images(s, layers) {
      const urls = [imageUrl(s.bg)];
      if (layer) {
        Object.keys(s.layers).forEach(function (k) { if (layers.has(k)) urls.push(imageUrl(s.layers[k].ov)); });
      } else {
        urls.push(imageUrl(s.ov));
      }
      return urls;
    }
    function show(s, event) {
      current = s;
      grid.forEach(function (c, i) { if (s.v[i] !== null) want[c.name] = s.v[i]; });
      background.src = imageUrl(s.bg);
      let text = s.readout, alt = s.alt;
      if (layer) {
        const parts = [];
        Object.keys(layerImgs).forEach(function (k) {
          const img = layerImgs[k];
          img.hidden = !chosen.has(k);
          if (chosen.has(k)) { img.src = imageUrl(s.layers[k].ov); parts.push(s.layers[k].readout); }
        });
        if (parts.length) {
          text = parts.join("<br>");
          const spec = specs.find(function (c) { return c.name === layer; });
          const labels = spec.options.filter(function (o) { return chosen.has(o[0]); }).map(function (o) { return o[1]; });
          alt = s.alt_settings.replace("\u0000", labels.join(", ")) + " " + plain(text);
        }
      } else {
        overlay.src = imageUrl(s.ov);
      }
      readout.innerHTML = text;
      frame.setAttribute("aria-label", alt);
      syncControls(s);
      const state = stateString(s, want, chosen);
      root.dataset.state = state;
      link.href = "#" + name + ":" + state;
      if (event) {
        history.replaceState(null, "", "#" + name + ":" + state);
        const shown = Array.from(frame.querySelectorAll("img")).filter(function (img) { return !img.hidden; });
        // key press to image in place (the browser paints it with the next frame when it was ready),
        // and whether it was: a frame prefetched and decoded in advance appears one display frame later
        const t0 = event.timeStamp;
        const ready = shown.every(function (img) { return img.complete; });
        const swapped = performance.now() - t0;
        Promise.all(ready ? [] : shown.map(function (img) { return img.decode().catch(function () {}); })).then(function () {
          const loaded = performance.now() - t0;
          requestAnimationFrame(function () {
            timings.push({ player: name, ms: ready ? swapped : loaded, next_frame: ready,
                           to_frame_ms: performance.now() - t0 });
          });
        });
      }
      if (near) around(s);
    }
    // fetch and decode the drawings one move away, so that the next key press shows its frame at once
    // most likely first: the other layers of this state, then a slider step or a checkbox either way,
    // then the other choices of a dropdown (each with the layers shown now)
    function around(s) {
      if (layer) Object.keys(s.layers).forEach(function (k) { prefetch(imageUrl(s.layers[k].ov)); });
      const near = neighbours(s);
      near.filter(function (t) { return t.kind !== "select"; }).concat(
        near.filter(function (t) { return t.kind === "select"; })).forEach(function (t) {
        images(t.state, chosen).forEach(prefetch);
      });
    }
    function neighbours(s) {
      const out = [];
      grid.forEach(function (c, i) {
        if (s.v[i] === null) return;
        if (c.kind === "range") {
          const values = reachable(i, s), k = values.indexOf(s.v[i]);
          [k + 1, k - 1].forEach(function (j) {
            if (j >= 0 && j < values.length) {
              out.push({ kind: c.kind, state: find(Object.assign({}, want, { [c.name]: values[j] })) });
            }
          });
        } else if (c.kind === "checkbox") {
          out.push({ kind: c.kind, state: find(Object.assign({}, want, { [c.name]: s.v[i] === "on" ? "off" : "on" })) });
        } else if (c.kind === "select") {
          c.options.forEach(function (o) {
            if (o[0] !== s.v[i]) {
              out.push({ kind: c.kind, state: find(Object.assign(withResets(want, c.name, o[0]), { [c.name]: o[0] })) });
            }
          });
        }
      });
      return out;
    }
    function syncControls(s) {
      grid.forEach(function (c, i) {
        const input = inputs[c.name], off = s.v[i] === null;
        input.disabled = off;
        input.closest(".nnk-control").classList.toggle("nnk-off", off);
        if (c.kind === "range") {
          const values = off ? [want[c.name]] : reachable(i, s);
          input._values = values;
          input.max = String(values.length - 1);
          input.value = String(Math.max(0, values.indexOf(want[c.name])));
          input.setAttribute("aria-valuetext", off ? "does not apply" : want[c.name]);
          input._output.textContent = off ? "n/a" : want[c.name];
        } else if (c.kind === "select") {
          input.value = want[c.name];
        } else if (c.kind === "checkbox") {
          input.checked = want[c.name] === "on";
        }
      });
      if (layer) Object.keys(inputs[layer]).forEach(function (k) { inputs[layer][k].checked = chosen.has(k); });
    }

    // -- the controls -------------------------------------------------------------------------
    let counter = 0;
    function id() { counter += 1; return name + "-control-" + counter; }
    specs.forEach(function (c) {
      const wrap = document.createElement(c.name === layer ? "fieldset" : "div");
      wrap.className = "nnk-control nnk-control-" + c.name;
      if (c.name === layer) {
        const legend = document.createElement("legend");
        legend.textContent = c.label;
        wrap.appendChild(legend);
        inputs[c.name] = {};
        c.options.forEach(function (o) {
          const lab = document.createElement("label"), box = document.createElement("input");
          box.type = "checkbox";
          box.value = o[0];
          box.addEventListener("change", function (e) {
            if (box.checked) chosen.add(o[0]); else chosen.delete(o[0]);
            show(current, e);
          });
          inputs[c.name][o[0]] = box;
          lab.append(box, " " + o[1]);
          wrap.appendChild(lab);
        });
      } else if (c.kind === "checkbox") {
        const lab = document.createElement("label"), input = document.createElement("input");
        input.type = "checkbox";
        input.addEventListener("change", function (e) {
          want[c.name] = input.checked ? "on" : "off";
          show(find(want, c.name), e);
        });
        inputs[c.name] = input;
        lab.append(input, " " + c.label);
        wrap.appendChild(lab);
      } else {
        const lab = document.createElement("label");
        const input = document.createElement(c.kind === "select" ? "select" : "input");
        input.id = id();
        lab.htmlFor = input.id;
        lab.textContent = c.label;
        wrap.appendChild(lab);
        if (c.kind === "select") {
          c.options.forEach(function (o) {
            const opt = document.createElement("option");
            opt.value = o[0];
            opt.textContent = o[1];
            input.appendChild(opt);
          });
          input.addEventListener("change", function (e) {
            want = withResets(want, c.name, input.value);
            want[c.name] = input.value;
            show(find(want, c.name), e);
          });
          wrap.appendChild(input);
        } else {
          input.type = "range";
          input.min = "0";
          input.step = "1";
          const out = document.createElement("output");
          out.htmlFor = input.id;
          input._output = out;
          input.addEventListener("input", function (e) {
            want[c.name] = input._values[Number(input.value)];
            show(find(want, c.name), e);
          });
          wrap.append(input, out);
        }
        inputs[c.name] = input;
      }
      box.appendChild(wrap);
    });
    const link = document.createElement("a");
    link.className = "nnk-permalink";
    link.textContent = "link to this setting";
    link.title = "The page's address with this explorer's setting: copy it to share this view";
    box.appendChild(link);

    function restore(text) {
      const parsed = parse(text);
      want = parsed.want;
      chosen = parsed.layers;
      show(find(want), null);
    }
    const initial = parse(data.initial);
    want = initial.want;
    chosen = initial.layers;
    show(find(want), null);
    function fromAddress() {
      const hash = decodeURIComponent(location.hash.slice(1));
      if (hash.indexOf(name + ":") === 0) {
        restore(hash.slice(name.length + 1));
        root.scrollIntoView();
      }
    }
    fromAddress();
    window.addEventListener("hashchange", fromAddress);
    // the reader switched between light and dark mode: the same state, drawn for the new mode
    new MutationObserver(function () { show(current, null); }).observe(
      document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    const watch = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        near = true;
        watch.disconnect();
        around(current);
      }
    }, { rootMargin: "400px" });
    watch.observe(root);
    root.classList.add("nnk-ready");
    players[name] = { root: root, restore: restore, state: function () { return root.dataset.state; },
                      data: data };
  }

  function start() {
    document.querySelectorAll(".nnk-player").forEach(function (root) {
      try { Player(root); } catch (err) { console.error("nnk-player " + root.id + ": " + err); }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
