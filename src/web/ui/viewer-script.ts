/**
 * The result page's slice viewer, served as /ui/assets/viewer.js (no inline script under the Content-Security-
 * Policy, no framework, nothing fetched but the node's own viewer-data endpoint, viewer-data.ts). For every
 * element with data-viewer: draws the display series with the segmentation overlay on a canvas in axial, coronal or
 * sagittal planes (radiological convention: the patient's right on the screen's left), with orientation letters, a
 * scale bar and the bidimensional measurement on its slice. Scrolling: mouse wheel, arrow/Page keys or the slider;
 * window/level: drag on the image (left/right = width, up/down = level) or the presets. Plain ES2020 in a string
 * because the node has no front-end build step; test/web-ui drives it in a real Chromium.
 */
export const VIEWER_JS = String.raw`'use strict';
(function () {
  // Per plane: the normal axis (0 x, 1 y, 2 z), the axes along the screen (u right, v down; flipV: v runs F->H
  // upwards) and the orientation letters (left, right, top, bottom).
  var PLANES = {
    axial: { n: 2, u: 0, v: 1, flipV: false, marks: ['R', 'L', 'A', 'P'] },
    coronal: { n: 1, u: 0, v: 2, flipV: true, marks: ['R', 'L', 'S', 'I'] },
    sagittal: { n: 0, u: 1, v: 2, flipV: true, marks: ['A', 'P', 'S', 'I'] },
  };
  var MAX_PX = 512;

  function parse(buf) {
    var n = new DataView(buf).getUint32(0, true);
    var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
    var total = header.dims[0] * header.dims[1] * header.dims[2];
    return { h: header, vox: new Uint8Array(buf, 4 + n, total), lab: new Uint8Array(buf, 4 + n + total, total) };
  }

  function setup(root) {
    var canvas = root.querySelector('canvas[data-view]');
    var slider = root.querySelector('input[data-slice]');
    var status = root.querySelector('[data-viewer-status]');
    var wlSelect = root.querySelector('select[data-wl]');
    var overlayBox = root.querySelector('input[data-overlay]');
    var planeButtons = root.querySelectorAll('button[data-plane]');
    var ctx = canvas.getContext('2d');
    var off = document.createElement('canvas');
    var d = null;
    var colours = {};
    var state = { plane: 'axial', slice: [0, 0, 0], c: 128, w: 256, overlay: true, renders: 0 };

    function geometry() {
      var p = PLANES[state.plane];
      var dims = d.h.dims, sp = d.h.spacing;
      var w = dims[p.u], h = dims[p.v];
      var wmm = w * sp[p.u], hmm = h * sp[p.v];
      var scale = MAX_PX / Math.max(wmm, hmm);
      return { p: p, w: w, h: h, W: Math.max(1, Math.round(wmm * scale)), H: Math.max(1, Math.round(hmm * scale)), pxPerMm: scale };
    }

    /** Index into the volume of screen voxel (u, v) on the current slice. */
    function indexer(g) {
      var dims = d.h.dims;
      var strides = [1, dims[0], dims[0] * dims[1]];
      var s = state.slice[g.p.n];
      return function (u, v) {
        var vv = g.p.flipV ? g.h - 1 - v : v;
        return s * strides[g.p.n] + u * strides[g.p.u] + vv * strides[g.p.v];
      };
    }

    function screenOf(g, pt) {
      var v = g.p.flipV ? g.h - 1 - pt[g.p.v] : pt[g.p.v];
      return [((pt[g.p.u] + 0.5) * g.W) / g.w, ((v + 0.5) * g.H) / g.h];
    }

    function drawLine(g, a, b, colour) {
      var pa = screenOf(g, a), pb = screenOf(g, b);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(pa[0], pa[1]);
      ctx.lineTo(pb[0], pb[1]);
      ctx.stroke();
    }

    function render() {
      var g = geometry();
      off.width = g.w;
      off.height = g.h;
      var octx = off.getContext('2d');
      var img = octx.createImageData(g.w, g.h);
      var at = indexer(g);
      var lo = state.c - state.w / 2;
      var k = 255 / Math.max(1, state.w);
      var o = 0;
      for (var v = 0; v < g.h; v++) {
        for (var u = 0; u < g.w; u++, o += 4) {
          var i = at(u, v);
          var grey = Math.max(0, Math.min(255, (d.vox[i] - lo) * k));
          var r = grey, gg = grey, b = grey;
          var c = state.overlay && d.lab[i] ? colours[d.lab[i]] : null;
          if (c) {
            r = grey * 0.55 + c[0] * 0.45;
            gg = grey * 0.55 + c[1] * 0.45;
            b = grey * 0.55 + c[2] * 0.45;
          }
          img.data[o] = r;
          img.data[o + 1] = gg;
          img.data[o + 2] = b;
          img.data[o + 3] = 255;
        }
      }
      octx.putImageData(img, 0, 0);
      canvas.width = g.W;
      canvas.height = g.H;
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, 0, 0, g.W, g.H);

      // Orientation letters.
      ctx.font = 'bold 16px system-ui, sans-serif';
      ctx.fillStyle = '#ffd200';
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'left';
      ctx.fillText(g.p.marks[0], 6, g.H / 2);
      ctx.textAlign = 'right';
      ctx.fillText(g.p.marks[1], g.W - 6, g.H / 2);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(g.p.marks[2], g.W / 2, 6);
      ctx.textBaseline = 'bottom';
      ctx.fillText(g.p.marks[3], g.W / 2, g.H - 6);

      // Scale bar: the longest round length that fits in a quarter of the width.
      var lengths = [100, 50, 20, 10, 5, 2, 1];
      var mm = 1;
      for (var li = 0; li < lengths.length; li++) if (lengths[li] * g.pxPerMm <= g.W / 4) { mm = lengths[li]; break; }
      var len = mm * g.pxPerMm;
      ctx.fillStyle = '#fff';
      ctx.fillRect(g.W - 12 - len, g.H - 28, len, 3);
      ctx.font = '12px system-ui, sans-serif';
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(mm + ' mm', g.W - 12, g.H - 31);

      // Bidimensional measurement, on its own slice only.
      var bd = d.h.bidimensional;
      var onSlice = false;
      if (bd && state.overlay && Math.round(bd.long[0][g.p.n]) === state.slice[g.p.n] && Math.round(bd.long[1][g.p.n]) === state.slice[g.p.n]) {
        onSlice = true;
        drawLine(g, bd.long[0], bd.long[1], '#00e5ff');
        drawLine(g, bd.short[0], bd.short[1], '#ff4fd8');
        ctx.font = '12px system-ui, sans-serif';
        ctx.fillStyle = '#00e5ff';
        ctx.textAlign = 'left';
        ctx.textBaseline = 'top';
        ctx.fillText(bd.text, 6, 6);
      }

      var n = d.h.dims[g.p.n];
      slider.max = String(n - 1);
      slider.value = String(state.slice[g.p.n]);
      status.textContent = state.plane.charAt(0).toUpperCase() + state.plane.slice(1) + ' slice ' + (state.slice[g.p.n] + 1) + ' of ' + n +
        ' \u00b7 window ' + Math.round(state.w) + ', level ' + Math.round(state.c) + (onSlice ? ' \u00b7 bidimensional measurement on this slice' : '');
      for (var bi = 0; bi < planeButtons.length; bi++) {
        var on = planeButtons[bi].getAttribute('data-plane') === state.plane;
        planeButtons[bi].className = on ? '' : 'secondary';
        planeButtons[bi].setAttribute('aria-pressed', on ? 'true' : 'false');
      }
      state.renders++;
      canvas.setAttribute('data-plane', state.plane);
      canvas.setAttribute('data-slice', String(state.slice[g.p.n]));
      canvas.setAttribute('data-bidimensional', onSlice ? 'shown' : '');
      canvas.setAttribute('data-renders', String(state.renders));
    }

    function step(delta) {
      var p = PLANES[state.plane];
      var n = d.h.dims[p.n];
      state.slice[p.n] = Math.max(0, Math.min(n - 1, state.slice[p.n] + delta));
      render();
    }

    function wire() {
      canvas.addEventListener('wheel', function (e) {
        e.preventDefault();
        step(e.deltaY > 0 ? 1 : -1);
      }, { passive: false });
      canvas.addEventListener('keydown', function (e) {
        var map = { ArrowUp: 1, ArrowRight: 1, PageUp: 5, ArrowDown: -1, ArrowLeft: -1, PageDown: -5 };
        if (e.key in map) { e.preventDefault(); step(map[e.key]); }
        else if (e.key === 'a' || e.key === 'c' || e.key === 's') { state.plane = { a: 'axial', c: 'coronal', s: 'sagittal' }[e.key]; render(); }
      });
      slider.addEventListener('input', function () {
        state.slice[PLANES[state.plane].n] = Number(slider.value);
        render();
      });
      for (var i = 0; i < planeButtons.length; i++) {
        planeButtons[i].addEventListener('click', function (e) {
          state.plane = e.currentTarget.getAttribute('data-plane');
          render();
        });
      }
      wlSelect.addEventListener('change', function () {
        var cw = wlSelect.value.split(',');
        if (cw.length === 2) { state.c = Number(cw[0]); state.w = Number(cw[1]); render(); }
      });
      overlayBox.addEventListener('change', function () {
        state.overlay = overlayBox.checked;
        render();
      });
      var drag = null;
      canvas.addEventListener('pointerdown', function (e) {
        drag = { x: e.clientX, y: e.clientY, c: state.c, w: state.w };
        canvas.setPointerCapture(e.pointerId);
      });
      canvas.addEventListener('pointermove', function (e) {
        if (!drag) return;
        state.w = Math.max(2, Math.min(512, drag.w + (e.clientX - drag.x)));
        state.c = Math.max(0, Math.min(255, drag.c + (e.clientY - drag.y) / 2));
        render();
      });
      canvas.addEventListener('pointerup', function () { drag = null; });
      canvas.addEventListener('pointercancel', function () { drag = null; });
    }

    fetch(root.getAttribute('data-viewer'), { credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new Error('the node answered ' + r.status);
        return r.arrayBuffer();
      })
      .then(function (buf) {
        d = parse(buf);
        for (var i = 0; i < d.h.labels.length; i++) colours[d.h.labels[i].value] = d.h.labels[i].rgb;
        state.slice = d.h.focus.slice();
        state.plane = d.h.plane || 'axial';
        wire();
        render();
      })
      .catch(function (e) {
        status.textContent = 'The viewer could not load: ' + e.message;
        status.className = 'error';
      });
  }

  var roots = document.querySelectorAll('[data-viewer]');
  for (var i = 0; i < roots.length; i++) setup(roots[i]);
})();
`;
