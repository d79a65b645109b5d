/* The script of chainrule's HTML walk-through (explain/html.py).
 *
 * chainruleExplain.start(root, page) brings one walk-through to life: the buttons and the
 * ← and → keys show the forward, backward or update drawing; in the backward one, Previous
 * and Next (and Shift+← and Shift+→) walk the chain rule one factor at a time, lighting the
 * edge, the neurons and the numbers involved; the fields change the inputs, targets,
 * weights, biases and learning rate, and Train runs SGD steps.
 *
 * Whenever a value changes, the script recomputes every record of the step, in the shape
 * of Python's dataclasses.asdict(trace), with the engine's arithmetic in the engine's order
 * (forward, the loss's gradient, each activation's backward, the Linear layers' backward,
 * SGD), and refills every element marked data-k="record key" with the number formatted as
 * Python's f"{v:.{digits}g}" (negative zero as "0") in its data-f form (numbers.FORMS: a
 * negative operand in parentheses), and every tooltip marked data-tpl="... {record key} ...";
 * it shows each branch marked data-when="test" data-keys="record keys" where the test
 * (numbers.TESTS: which side of 0 a ReLU's net is, say) holds for those records and hides it
 * elsewhere, redraws the curve of the errors, and lines the tables' numbers up again on the
 * decimal point. A key or test it does not know stops it with an error shown on the page:
 * a number left stale would be a wrong number.
 *
 * The network comes from the JSON in the root's <script class="crx-model">. The file is
 * loaded once per page: a notebook may hold several walk-throughs, each calling start.
 */
(function () {
  "use strict";
  if (window.chainruleExplain) return;

  var STEPS = ["forward", "backward", "update"];

  // Numbers -------------------------------------------------------------------------------

  // Whether the double x is exactly digits × 10^exponent (digits a string of decimal digits).
  function exactly(x, digits, exponent) {
    var view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    var high = view.getUint32(0), low = view.getUint32(4);
    var biased = (high >>> 20) & 0x7ff;
    var mantissa = (BigInt(high & 0xfffff) << 32n) + BigInt(low);
    var power = biased === 0 ? -1074 : biased - 1075;
    if (biased !== 0) mantissa += 1n << 52n;
    var left = mantissa, right = BigInt(digits);
    if (power >= 0) left <<= BigInt(power); else right <<= BigInt(-power);
    if (exponent >= 0) right *= 10n ** BigInt(exponent); else left *= 10n ** BigInt(-exponent);
    return left === right;
  }

  // The p significant digits of x > 0 and the decimal exponent of the first, rounded half to
  // even as Python rounds (toExponential rounds a tie away from zero).
  function significant(x, p) {
    var parts = x.toExponential(p - 1).split("e");
    var digits = parts[0].replace(".", ""), exponent = Number(parts[1]);
    if (p <= 99) {
      var longer = x.toExponential(p).split("e");
      var more = longer[0].replace(".", "");
      var evenDigit = Number(more.charAt(p - 1)) % 2 === 0;
      if (more.charAt(p) === "5" && evenDigit) {
        var at = Number(longer[1]);
        if (exactly(x, more, at - p)) return { digits: more.slice(0, p), exponent: at };
      }
    }
    return { digits: digits, exponent: exponent };
  }

  // value as Python's f"{value:.{digits}g}", except that negative zero is "0"; "—" for null.
  function fmt(value, digits) {
    if (value === null || value === undefined) return "—";
    if (typeof value !== "number") return String(value);
    if (value !== value) return "nan";
    if (value === Infinity) return "inf";
    if (value === -Infinity) return "-inf";
    if (value === 0) return "0";
    var p = Math.max(1, digits);
    var sign = value < 0 ? "-" : "";
    var s = significant(Math.abs(value), p);
    var d = s.digits, e = s.exponent;
    if (e >= -4 && e < p) {
      var whole = e >= 0 ? d.slice(0, e + 1) : "0";
      var fraction = (e >= 0 ? d.slice(e + 1) : "0".repeat(-e - 1) + d).replace(/0+$/, "");
      return sign + whole + (fraction ? "." + fraction : "");
    }
    var rest = d.slice(1).replace(/0+$/, "");
    var power = Math.abs(e) < 10 ? "0" + Math.abs(e) : String(Math.abs(e));
    return sign + d.charAt(0) + (rest ? "." + rest : "") + "e" + (e < 0 ? "-" : "+") + power;
  }

  // numbers.FORMS: the words round a number that its value decides.
  var FORMS = {
    paren: function (value, text) { return value < 0 ? "(" + text + ")" : text; },
  };

  // numbers.TESTS: what decides which branch of a formula shows, from some records' values.
  var TESTS = {
    positive: function (values) { return values[0] > 0; },
    equal: function (values) { return values.every(function (v) { return v === values[0]; }); },
    sums_to_one: function (values) {
      return Math.abs(values.reduce(function (a, b) { return a + b; }, 0) - 1) < 1e-12;
    },
  };

  // The arithmetic of one step, as the engine does it -------------------------------------

  // Each activation: its forward, and its backward g ↦ ∂E/∂net from g = ∂E/∂out, written as
  // the engine's op writes it (so that the roundings agree too).
  function activation(name, slope) {
    switch (name) {
      case "sigmoid":
        return {
          f: function (x) { return 1 / (1 + Math.exp(-x)); },
          back: function (g, x, y) { return g * (1 - y) * y; },
        };
      case "tanh":
        return {
          f: Math.tanh,
          back: function (g, x, y) { return g * (1 - y * y); },
        };
      case "relu":
        return {
          f: function (x) { return Math.max(x, 0); },
          back: function (g, x, y) { return g * (y !== 0 ? 1 : 0); },
        };
      case "leaky_relu":
        return {
          f: function (x) { return x > 0 ? x : x * slope; },
          back: function (g, x) { return x > 0 ? g : g * slope; },
        };
      case "identity":
        return { f: function (x) { return x; }, back: function (g) { return g; } };
    }
    throw new Error("no activation " + name);
  }

  // The sum of values as NumPy adds them up (pairwise, eight running sums from 8 values on),
  // so that its rounding is the engine's.
  function sum(values, from, count) {
    if (from === undefined) { from = 0; count = values.length; }
    var i, total;
    if (count < 8) {
      total = 0;
      for (i = 0; i < count; i++) total += values[from + i];
      return total;
    }
    if (count <= 128) {
      var r = values.slice(from, from + 8);
      for (i = 8; i < count - (count % 8); i += 8) {
        for (var j = 0; j < 8; j++) r[j] += values[from + i + j];
      }
      total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < count; i++) total += values[from + i];
      return total;
    }
    var half = Math.floor(count / 2);
    half -= half % 8;
    return sum(values, from, half) + sum(values, from + half, count - half);
  }

  function logSoftmax(x) {
    var top = Math.max.apply(null, x);
    var shifted = x.map(function (v) { return v - top; });
    var log = Math.log(sum(shifted.map(Math.exp)));
    return shifted.map(function (v) { return v - log; });
  }

  // Each output's term of the error E, as trace._loss_terms computes it.
  function lossTerms(loss, out, t) {
    var n = out.length;
    if (loss === "half_sse") return out.map(function (o, k) { var u = t[k] - o; return 0.5 * (u * u); });
    if (loss === "mse") return out.map(function (o, k) { var u = o - t[k]; return (u * u) / n; });
    if (loss === "bce") {
      return out.map(function (p, k) {
        var logP = Math.max(Math.log(p), -100), logNotP = Math.max(Math.log1p(-p), -100);
        return -(t[k] * logP + (1 - t[k]) * logNotP) / n;
      });
    }
    var y = logSoftmax(out);
    return y.map(function (v, k) { return -(v * t[k]); });
  }

  // ∂E/∂out of each output: the backward of the loss's ops applied to E's gradient 1.
  function lossGradient(loss, out, t) {
    var n = out.length;
    if (loss === "half_sse") return out.map(function (o, k) { return -(t[k] - o); });
    if (loss === "mse") return out.map(function (o, k) { return ((1 / n) * 2) * (o - t[k]); });
    if (loss === "bce") {
      return out.map(function (p, k) { return ((p - t[k]) / Math.max(p * (1 - p), 1e-12)) * (1 / n); });
    }
    var y = logSoftmax(out);
    var g = t.map(function (v) { return -1 * v; });
    var total = sum(g);
    return g.map(function (v, k) { return v - Math.exp(y[k]) * total; });
  }

  // ce's softmax, as Tensor.softmax computes it: the probabilities y, ∂E/∂y = −target / y
  // (E = −Σ target·log y, backwards through the sum, the product and the log), and the
  // Jacobian's row j, ∂y_j/∂out_k: the softmax op's backward y·(g − Σ g·y) of the unit
  // vector g = e_j.
  function softmaxSteps(out, t) {
    var top = Math.max.apply(null, out);
    var e = out.map(function (v) { return Math.exp(v - top); });
    var total = sum(e);
    var y = e.map(function (v) { return v / total; });
    return {
      y: y,
      dE_dy: y.map(function (v, k) { return (-1 * t[k]) / v; }),
      jacobian: y.map(function (yj, j) {
        return y.map(function (yk, k) { return yk * ((k === j ? 1 : 0) - yj); });
      }),
    };
  }

  // Why the engine would refuse this step, or null.
  function refusal(model, out, t) {
    if (model.loss !== "bce") return null;
    var inside = function (v) { return v >= 0 && v <= 1; };
    return out.every(inside) && t.every(inside) ? null : "bce_range";
  }

  // Weights [layer][row][col] and biases [layer][row] (null for a layer without) from the
  // flat list of parameter values, in the trace's order.
  function unpack(model, values) {
    var sizes = model.layer_sizes, weights = [], biases = [];
    for (var l = 1; l < sizes.length; l++) {
      var rows = [];
      for (var j = 0; j < sizes[l]; j++) rows.push(new Array(sizes[l - 1]).fill(0));
      weights.push(rows);
      biases.push(null);
    }
    model.parameters.forEach(function (p, k) {
      if (p.kind === "weight") weights[p.layer - 1][p.row][p.col] = values[k];
      else {
        if (!biases[p.layer - 1]) biases[p.layer - 1] = new Array(sizes[p.layer]).fill(0);
        biases[p.layer - 1][p.row] = values[k];
      }
    });
    return { weights: weights, biases: biases };
  }

  function activations(model) {
    return model.activations.map(function (name, l) {
      return activation(name, model.negative_slopes[l]);
    });
  }

  // net and out of every layer: y = x @ W.T, then y += b, then the activation.
  function forward(model, net, x) {
    var acts = activations(model), layers = [];
    net.weights.forEach(function (rows, l) {
      var bias = net.biases[l];
      var nets = rows.map(function (row, j) {
        var s = 0;
        for (var i = 0; i < row.length; i++) s += x[i] * row[i];
        return bias ? s + bias[j] : s;
      });
      var outs = nets.map(function (v) { return acts[l].f(v); });
      layers.push({ net: nets, out: outs });
      x = outs;
    });
    return layers;
  }

  // ∂E/∂out, ∂out/∂net (the op's backward applied to ones) and ∂E/∂net of every layer.
  function backward(model, net, layers, targets) {
    var acts = activations(model), depth = layers.length, result = new Array(depth);
    var g = lossGradient(model.loss, layers[depth - 1].out, targets);
    for (var l = depth - 1; l >= 0; l--) {
      var layer = layers[l], act = acts[l], upstream = g;
      var local = layer.net.map(function (x, j) { return act.back(1, x, layer.out[j]); });
      var delta = layer.net.map(function (x, j) { return act.back(upstream[j], x, layer.out[j]); });
      result[l] = { dE_dout: upstream, dout_dnet: local, dE_dnet: delta };
      if (l > 0) {
        var rows = net.weights[l];
        g = rows[0].map(function (_, i) {
          var s = 0;
          for (var j = 0; j < rows.length; j++) s += delta[j] * rows[j][i];
          return s;
        });
      }
    }
    return result;
  }

  // Each parameter's gradient, in the trace's order: ∂E/∂net of its neuron times its input.
  function gradients(model, x, layers, back) {
    return model.parameters.map(function (p) {
      var delta = back[p.layer - 1].dE_dnet[p.row];
      if (p.kind === "bias") return delta;
      var source = p.layer === 1 ? x : layers[p.layer - 2].out;
      return delta * source[p.col];
    });
  }

  function trainable(model, p) {
    return !(model.frozen_biases && p.kind === "bias");
  }

  // One SGD step: p − lr · g for each parameter the optimizer holds.
  function sgd(model, values, grads, lr) {
    return values.map(function (v, k) {
      return trainable(model, model.parameters[k]) ? v - lr * grads[k] : v;
    });
  }

  function error(model, values, x, targets) {
    var layers = forward(model, unpack(model, values), x);
    return sum(lossTerms(model.loss, layers[layers.length - 1].out, targets));
  }

  // One training step from values: the error before it, and the values after it.
  function trainStep(model, values, x, targets, lr) {
    var net = unpack(model, values), layers = forward(model, net, x);
    var out = layers[layers.length - 1].out;
    if (refusal(model, out, targets)) throw new Refused("bce_range");
    var back = backward(model, net, layers, targets);
    var before = sum(lossTerms(model.loss, out, targets));
    return { error: before, values: sgd(model, values, gradients(model, x, layers, back), lr) };
  }

  function Refused(reason) { this.reason = reason; }

  // Every record of the step from state (inputs, targets, parameter values, lr), in the
  // shape of dataclasses.asdict(trace).
  function compute(model, state) {
    var x = state.inputs, t = state.targets, lr = state.lr;
    var names = model.names, depth = model.layer_sizes.length - 1;
    var net = unpack(model, state.parameters), layers = forward(model, net, x);
    var out = layers[depth - 1].out;
    if (refusal(model, out, t)) throw new Refused("bce_range");
    var terms = lossTerms(model.loss, out, t);
    var back = backward(model, net, layers, t);
    var softmax = model.loss === "ce" ? softmaxSteps(out, t) : null;
    var neurons = [], deltas = [];
    for (var l = 1; l <= depth; l++) {
      names[l].forEach(function (name, j) {
        var layer = layers[l - 1], b = back[l - 1];
        neurons.push({
          name: name, layer: l, index: j, activation: model.activations[l - 1],
          net: layer.net[j], out: layer.out[j], slope: model.negative_slopes[l - 1],
        });
        var feeds = [];
        if (l < depth) {
          var next = back[l].dE_dnet, rows = net.weights[l];
          feeds = names[l + 1].map(function (to, k) {
            return { to: to, dE_dnet: next[k], weight: rows[k][j], product: next[k] * rows[k][j] };
          });
        }
        deltas.push({
          neuron: name, layer: l, index: j, dE_dout: b.dE_dout[j], dout_dnet: b.dout_dnet[j],
          dE_dnet: b.dE_dnet[j], feeds: feeds,
        });
      });
    }
    var grads = gradients(model, x, layers, back);
    var updated = sgd(model, state.parameters, grads, lr);
    var parameters = model.parameters.map(function (p, k) {
      var b = back[p.layer - 1];
      var dE_dout = b.dE_dout[p.row], dout_dnet = b.dout_dnet[p.row];
      var source = p.kind === "bias" ? 1 : (p.layer === 1 ? x : layers[p.layer - 2].out)[p.col];
      return {
        name: p.name, kind: p.kind, layer: p.layer, source: p.source, target: p.target,
        key: p.key, value: state.parameters[k], dE_dout: dE_dout, dout_dnet: dout_dnet,
        dnet_dparam: source,
        product: p.kind === "bias" ? dE_dout * dout_dnet : dE_dout * dout_dnet * source,
        grad: grads[k], updated: trainable(model, p) ? updated[k] : null,
      };
    });
    var total = sum(terms);
    var errors = [total, error(model, updated, x, t)];
    var values = updated;
    for (var s = 1; s < model.steps; s++) {
      values = trainStep(model, values, x, t, lr).values;
      errors.push(error(model, values, x, t));
    }
    return {
      loss: model.loss,
      lr: lr,
      inputs: names[0].map(function (name, i) { return [name, x[i]]; }),
      neurons: neurons,
      loss_terms: names[depth].map(function (name, k) {
        return {
          output: name, target: t[k], out: out[k], value: terms[k],
          probability: softmax ? softmax.y[k] : null,
          dE_dprobability: softmax ? softmax.dE_dy[k] : null,
          dprobability_dout: softmax ? softmax.jacobian[k] : [],
        };
      }),
      total_error: total,
      deltas: deltas,
      parameters: parameters,
      error_after: errors[1],
      errors: errors,
      frozen_biases: model.frozen_biases,
      layer_sizes: model.layer_sizes.slice(),
    };
  }

  // The record at a key such as "deltas.2.feeds.0.product"; undefined if there is none.
  function lookup(records, key) {
    var value = records;
    var parts = key.split(".");
    for (var i = 0; i < parts.length; i++) {
      if (value === null || typeof value !== "object" || !(parts[i] in value)) return undefined;
      value = value[parts[i]];
    }
    return value;
  }

  var NUMBER = /^-?\d+(?:\.\d*)?(?:e[+-]?\d+)?$/;  // blocks._NUMBER: a cell that is a number

  // Text widths as html_figure._width estimates them: wide glyphs count double.
  function textWidth(text, px, em) {
    var units = 0;
    for (var i = 0; i < text.length; i++) units += text.charCodeAt(i) >= 0x1100 ? 2 : 1;
    return units * em * px;
  }

  // One walk-through -----------------------------------------------------------------------

  function start(root, page) {
    var model = JSON.parse(root.querySelector("script.crx-model").textContent);
    var digits = model.digits, words = model.words, drawing = model.drawing;
    var initial = {
      inputs: model.values.inputs.map(Number),
      targets: model.values.targets.map(Number),
      parameters: model.values.parameters.map(Number),
      lr: Number(model.values.lr),
    };
    var state = copy(initial);
    var curve = [];  // the error before each training step since the last change, and after
    var records = null;
    var factor = -1;
    var figures = root.querySelectorAll(".crx-figure");
    var buttons = root.querySelectorAll(".crx-buttons button");
    var banner = root.querySelector(".crx-error");
    var notice = root.querySelector(".crx-notice");
    var caption = root.querySelector(".crx-factor-caption");
    var counter = root.querySelector(".crx-factor-count");
    var startCaption = caption ? caption.innerHTML : "";

    function copy(s) {
      return {
        inputs: s.inputs.slice(), targets: s.targets.slice(),
        parameters: s.parameters.slice(), lr: s.lr,
      };
    }

    function fail(message) {
      banner.textContent = words.error.replace("{message}", message);
      banner.hidden = false;
      throw new Error("chainrule explain: " + message);
    }

    function text(key) {
      var value = lookup(records, key);
      if (value === undefined) fail("no record " + key);
      return fmt(value, digits);
    }

    // Every number, branch and tooltip under scope, from the records.
    function refill(scope) {
      var unknown = [];
      scope.querySelectorAll("[data-k]").forEach(function (element) {
        var key = element.getAttribute("data-k"), form = element.getAttribute("data-f");
        var value = lookup(records, key);
        if (typeof value !== "number" && value !== null) unknown.push(key);
        else if (form && !FORMS.hasOwnProperty(form)) unknown.push(key + " (form " + form + ")");
        else element.textContent = form ? FORMS[form](value, fmt(value, digits)) : fmt(value, digits);
      });
      if (unknown.length) fail("no record " + unknown.slice(0, 5).join(", "));
      scope.querySelectorAll("[data-when]").forEach(function (element) {
        var test = element.getAttribute("data-when"), negated = test.charAt(0) === "!";
        var name = negated ? test.slice(1) : test;
        if (!TESTS.hasOwnProperty(name)) fail("no test " + test);
        var values = element.getAttribute("data-keys").split(" ").map(function (key) {
          var value = lookup(records, key);
          if (typeof value !== "number") fail("no record " + key);
          return value;
        });
        element.hidden = TESTS[name](values) === negated;
      });
      scope.querySelectorAll("[data-tpl]").forEach(function (element) {
        element.textContent = element.getAttribute("data-tpl").replace(/\{([^{}]+)\}/g, function (_, key) {
          return text(key);
        });
      });
    }

    // The edges' colours and widths, and the labels' boxes, for the new numbers.
    function redraw() {
      var grads = records.parameters.map(function (p) { return p.grad; });
      var biggest = Math.max.apply(null, [0].concat(grads.map(Math.abs)));
      root.querySelectorAll(".crx-svg").forEach(function (svg) {
        var step = svg.getAttribute("data-step");
        var thickest = Number(svg.getAttribute("data-thickest"));
        svg.querySelectorAll("line[data-p], .crx-label[data-p]").forEach(function (element) {
          var p = records.parameters[Number(element.getAttribute("data-p"))];
          var css = "crx-edge", stroke = drawing.edge_grey;
          var grey = step === "forward" || (step === "update" && p.updated === null) || biggest === 0;
          if (!grey) {
            css = p.grad > 0 ? "crx-pos" : p.grad < 0 ? "crx-neg" : "crx-edge";
            stroke = 1 + (thickest - 1) * Math.sqrt(Math.abs(p.grad) / biggest);
          }
          element.classList.remove("crx-edge", "crx-pos", "crx-neg");
          element.classList.add(css);
          if (element.tagName.toLowerCase() === "line") {
            element.setAttribute("stroke-width", stroke.toFixed(2));
          } else {
            var label = element.querySelector("text"), rect = element.querySelector("rect");
            var width = textWidth(label.textContent, drawing.label_px, drawing.mono_em) +
              drawing.pill_pad;
            var x = Number(label.getAttribute("x"));
            rect.setAttribute("x", (x - width / 2).toFixed(1));
            rect.setAttribute("width", width.toFixed(1));
          }
        });
      });
    }

    // Each curve of records (the errors of --steps) drawn again through its new values, as
    // html_pictures.curve_svg draws it inside the box it gives.
    function curves() {
      root.querySelectorAll("polyline[data-curve]").forEach(function (line) {
        var values = lookup(records, line.getAttribute("data-curve"));
        if (!Array.isArray(values)) fail("no record " + line.getAttribute("data-curve"));
        var box = line.getAttribute("data-box").split(" ").map(Number);
        var low = Math.min.apply(null, values), high = Math.max.apply(null, values);
        var span = high - low || 1, steps = Math.max(values.length - 1, 1);
        var ys = values.map(function (v) {
          return box[1] + (box[3] - box[1]) * (high > low ? (high - v) / span : 0.5);
        });
        line.setAttribute("points", ys.map(function (y, i) {
          return (box[0] + (box[2] - box[0]) * i / steps).toFixed(1) + "," + y.toFixed(1);
        }).join(" "));
        line.setAttribute("data-values", values.map(String).join(" "));
        line.parentNode.querySelectorAll("[data-i]").forEach(function (mark) {
          var y = ys[Number(mark.getAttribute("data-i"))].toFixed(1);
          mark.setAttribute(mark.tagName.toLowerCase() === "circle" ? "cy" : "y", y);
        });
      });
    }

    // The tables' and matrices' numbers lined up on the decimal point again, as
    // blocks.decimal_pads pads them: each by as many characters as its whole part is shorter
    // than the column's longest.
    function align(cells) {
      var whole = cells.map(function (cell) {
        var text = cell.textContent;
        return NUMBER.test(text) ? text.split(".")[0].split("e")[0].length : null;
      });
      var width = Math.max.apply(null, [0].concat(whole.filter(function (w) { return w !== null; })));
      cells.forEach(function (cell, i) {
        if (whole[i] !== null && width > whole[i]) cell.style.setProperty("--crx-pad", String(width - whole[i]));
        else cell.style.removeProperty("--crx-pad");
      });
    }

    function realign() {
      root.querySelectorAll("table").forEach(function (table) {
        var columns = [];
        table.querySelectorAll("tbody tr").forEach(function (row) {
          Array.from(row.cells).forEach(function (cell, j) {
            if (cell.classList.contains("crx-num")) (columns[j] = columns[j] || []).push(cell);
          });
        });
        columns.forEach(function (cells) { if (cells) align(cells); });
      });
      root.querySelectorAll(".crx-mat").forEach(function (matrix) {
        var count = Number(/repeat\((\d+)/.exec(matrix.getAttribute("style"))[1]);
        var entries = Array.from(matrix.children), columns = [];
        entries.forEach(function (entry, i) { (columns[i % count] = columns[i % count] || []).push(entry); });
        columns.forEach(align);
      });
    }

    function chart() {
      var svg = root.querySelector(".crx-chart");
      if (!svg) return;
      var width = 360, height = 140, left = 64, right = 12, top = 12, bottom = 24;
      var parts = [];
      var points = curve.length ? curve : [records.total_error];
      var high = Math.max.apply(null, points.filter(isFinite).concat([0]));
      var xs = function (k) {
        return left + (points.length > 1 ? (k / (points.length - 1)) * (width - left - right) : 0);
      };
      var ys = function (e) {
        return top + (high > 0 ? (1 - e / high) : 1) * (height - top - bottom);
      };
      parts.push('<line class="crx-axis" x1="' + left + '" y1="' + top + '" x2="' + left +
        '" y2="' + (height - bottom) + '"></line>');
      parts.push('<line class="crx-axis" x1="' + left + '" y1="' + (height - bottom) + '" x2="' +
        (width - right) + '" y2="' + (height - bottom) + '"></line>');
      parts.push('<text x="' + (left - 6) + '" y="' + (top + 4) + '" text-anchor="end">' +
        escapeText(fmt(high, 4)) + "</text>");
      parts.push('<text x="' + (left - 6) + '" y="' + (height - bottom) + '" text-anchor="end">0</text>');
      parts.push('<text x="' + left + '" y="' + (height - 6) + '">0</text>');
      parts.push('<text x="' + (width - right) + '" y="' + (height - 6) + '" text-anchor="end">' +
        (points.length - 1) + "</text>");
      var line = points.map(function (e, k) {
        return xs(k).toFixed(1) + "," + (isFinite(e) ? ys(e) : top).toFixed(1);
      });
      parts.push('<polyline class="crx-curve" points="' + line.join(" ") + '"></polyline>');
      var every = Math.max(1, Math.ceil(points.length / 60));
      points.forEach(function (e, k) {
        if (k % every && k !== points.length - 1) return;
        var tip = words.chart_point.replace("{step}", String(k)).replace("{error}", fmt(e, digits));
        parts.push('<circle data-step="' + k + '" cx="' + xs(k).toFixed(1) + '" cy="' +
          (isFinite(e) ? ys(e) : top).toFixed(1) + '" r="2.5"><title>' + escapeText(tip) +
          "</title></circle>");
      });
      if (!curve.length) {
        parts.push('<text x="' + (left + 12) + '" y="' + (height / 2) + '">' +
          escapeText(words.chart_empty) + "</text>");
      }
      svg.innerHTML = parts.join("");
    }

    function escapeText(s) {
      return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    }

    // Recompute everything from state; if the engine would refuse it, say so and keep the
    // numbers of the last state it took.
    function update() {
      try {
        records = compute(model, state);
      } catch (refused) {
        if (!(refused instanceof Refused)) throw refused;
        notice.textContent = words[refused.reason];
        return false;
      }
      notice.textContent = "";
      refill(root);
      redraw();
      curves();
      realign();
      chart();
      if (factor >= 0) light(factor);
      return true;
    }

    function fields() {
      return root.querySelectorAll("input[data-edit]");
    }

    function setField(input, value) {
      input.value = fmt(value, digits);
      input.removeAttribute("aria-invalid");
    }

    function valueOf(key) {
      var parts = key.split(".");
      if (parts[0] === "inputs") return state.inputs[Number(parts[1])];
      if (parts[0] === "loss_terms") return state.targets[Number(parts[1])];
      if (parts[0] === "parameters") return state.parameters[Number(parts[1])];
      return state.lr;
    }

    function edit(input) {
      var parts = input.getAttribute("data-edit").split(".");
      var raw = input.value.trim();
      var value = Number(raw);
      if (raw === "" || !isFinite(value)) {
        input.setAttribute("aria-invalid", "true");
        input.title = words.not_number;
        return;
      }
      input.removeAttribute("aria-invalid");
      input.removeAttribute("title");
      if (parts[0] === "inputs") state.inputs[Number(parts[1])] = value;
      else if (parts[0] === "loss_terms") state.targets[Number(parts[1])] = value;
      else if (parts[0] === "parameters") state.parameters[Number(parts[1])] = value;
      else state.lr = value;
      curve = [];
      update();
    }

    function train() {
      var field = root.querySelector(".crx-train-steps");
      var count = Math.floor(Number(field.value));
      if (!(count >= 1 && count <= 10000)) {
        field.setAttribute("aria-invalid", "true");
        return;
      }
      field.removeAttribute("aria-invalid");
      var values = state.parameters;
      var errors = curve.length ? curve.slice(0, -1) : [];
      try {
        for (var k = 0; k < count; k++) {
          var stepped = trainStep(model, values, state.inputs, state.targets, state.lr);
          errors.push(stepped.error);
          values = stepped.values;
        }
      } catch (refused) {
        if (!(refused instanceof Refused)) throw refused;
        notice.textContent = words[refused.reason];
        return;
      }
      errors.push(error(model, values, state.inputs, state.targets));
      state.parameters = values;
      curve = errors;
      fields().forEach(function (input) {
        if (input.getAttribute("data-edit").indexOf("parameters.") === 0) {
          setField(input, valueOf(input.getAttribute("data-edit")));
        }
      });
      update();
    }

    function reset() {
      state = copy(initial);
      curve = [];
      fields().forEach(function (input) { setField(input, valueOf(input.getAttribute("data-edit"))); });
      update();
    }

    // The step-through of the backward pass ------------------------------------------------

    function unlight() {
      root.classList.remove("crx-focus");
      root.querySelectorAll(".crx-lit").forEach(function (e) { e.classList.remove("crx-lit"); });
      root.querySelectorAll(".crx-lit-row").forEach(function (e) { e.classList.remove("crx-lit-row"); });
    }

    function light(k) {
      var f = model.factors[k];
      unlight();
      caption.innerHTML = f.caption;
      refill(caption);
      counter.textContent = (k + 1) + " / " + model.factors.length;
      root.classList.add("crx-focus");
      f.edges.forEach(function (p) {
        root.querySelectorAll('.crx-svg [data-p="' + p + '"]').forEach(function (e) {
          e.classList.add("crx-lit");
        });
      });
      f.nodes.forEach(function (name) {
        root.querySelectorAll('.crx-svg [data-n="' + CSS.escape(name) + '"]').forEach(function (e) {
          e.classList.add("crx-lit");
        });
      });
      f.keys.forEach(function (key) {
        root.querySelectorAll('[data-k="' + CSS.escape(key) + '"]').forEach(function (e) {
          e.classList.add("crx-lit");
          var row = e.closest("tr, p");
          if (row && !caption.contains(row)) row.classList.add("crx-lit-row");
        });
      });
    }

    function moveFactor(by) {
      var next = Math.max(0, Math.min(model.factors.length - 1, factor + by));
      if (root.getAttribute("data-step") !== "backward") go("backward");
      factor = next;
      light(factor);
    }

    function clearFactor() {
      factor = -1;
      unlight();
      if (caption) {
        caption.innerHTML = startCaption;
        counter.textContent = "";
      }
    }

    // The forward / backward / update stepper ---------------------------------------------

    function show(step) {
      if (STEPS.indexOf(step) < 0) step = STEPS[0];
      root.setAttribute("data-step", step);
      figures.forEach(function (figure) {
        figure.toggleAttribute("data-active", figure.getAttribute("data-step") === step);
      });
      buttons.forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.getAttribute("data-step") === step));
      });
      if (step !== "backward") clearFactor();
    }

    function go(step) {
      show(step);
      if (page) {
        try { history.replaceState(null, "", "#" + step); } catch (ignored) { /* sandboxed */ }
      }
    }

    function move(by) {
      var index = STEPS.indexOf(root.getAttribute("data-step")) + by;
      go(STEPS[Math.max(0, Math.min(STEPS.length - 1, index))]);
    }

    buttons.forEach(function (button) {
      button.addEventListener("click", function () { go(button.getAttribute("data-step")); });
    });
    (page ? document : root).addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var tag = event.target && event.target.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      var by = event.key === "ArrowRight" ? 1 : -1;
      if (event.shiftKey) moveFactor(by);
      else move(by);
      event.preventDefault();
    });
    if (page) {
      window.addEventListener("hashchange", function () { show(location.hash.slice(1)); });
    }
    root.querySelector(".crx-factor-previous").addEventListener("click", function () { moveFactor(-1); });
    root.querySelector(".crx-factor-next").addEventListener("click", function () { moveFactor(1); });
    fields().forEach(function (input) {
      input.addEventListener("input", function () { edit(input); });
    });
    root.querySelector(".crx-train-button").addEventListener("click", train);
    root.querySelector(".crx-train-steps").addEventListener("keydown", function (event) {
      if (event.key === "Enter") train();
    });
    root.querySelector(".crx-reset").addEventListener("click", reset);
    // A click on an edge or its label opens its field.
    root.querySelectorAll(".crx-svg [data-p]").forEach(function (element) {
      element.addEventListener("click", function () {
        var input = root.querySelector('input[data-edit="parameters.' + element.getAttribute("data-p") + '.value"]');
        if (!input) return;
        input.closest("details").open = true;
        input.focus();
      });
    });

    root.classList.add("crx-js");
    show(page ? location.hash.slice(1) : STEPS[0]);
    update();
  }

  window.chainruleExplain = { fmt: fmt, compute: compute, start: start };
})();
