/* ShapeKB: progressive enhancement of the evaluator and the tracer. No framework, no build step.
 *
 * Every page works without this file (the forms submit as GET and the server renders the answer).
 * With it, the evaluator and the tracer answer as you type, through the JSON API.
 * The page reads no values, shapes or calls itself: it sends what the fields hold, as text, and the
 * server reads it (kb/formvalues.py, engine.snippet), so each grammar lives in one place.
 * Text from users and from the API is inserted with textContent only. The one piece of markup taken
 * from the server is the engine's MathML, which is parsed inertly and copied element by element
 * (MathML elements and a few presentational attributes only).
 */
(function () {
  "use strict";

  var MATHML_NS = "http://www.w3.org/1998/Math/MathML";

  // ---- showing results ------------------------------------------------------------------------------

  function shapeText(shape) {
    if (!Array.isArray(shape)) return String(shape);
    var inner = shape.map(function (v) { return v === null ? "None" : String(v); }).join(", ");
    return shape.length === 1 ? "(" + inner + ",)" : "(" + inner + ")";
  }

  function numberText(value) {
    if (value === null || value === undefined) return "None";
    if (typeof value === "number" && Number.isInteger(value)) return value.toLocaleString("en-US");
    return String(value);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function code(text) {
    return el("code", null, text);
  }

  var MATH_TAGS = new Set(["math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
    "mfrac", "msqrt", "mroot", "mfenced", "mstyle", "mpadded", "mphantom", "munder", "mover", "munderover",
    "mtable", "mtr", "mtd", "semantics"]);
  var MATH_ATTRS = ["display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "linethickness",
    "form", "displaystyle", "scriptlevel"];

  function copyMath(node) {
    if (node.nodeType === 3) return document.createTextNode(node.data);
    if (node.nodeType !== 1) return null;
    var tag = node.localName;
    if (!MATH_TAGS.has(tag)) return document.createTextNode(node.textContent);
    var out = document.createElementNS(MATHML_NS, tag);
    MATH_ATTRS.forEach(function (name) {
      if (node.hasAttribute(name)) out.setAttribute(name, node.getAttribute(name));
    });
    node.childNodes.forEach(function (child) {
      var copy = copyMath(child);
      if (copy) out.appendChild(copy);
    });
    return out;
  }

  /** The engine's MathML, parsed in an inert document (no scripts run there) and copied tag by tag. */
  function mathFrom(markup) {
    var doc = new DOMParser().parseFromString(String(markup || ""), "text/html");
    var math = doc.body.querySelector("math");
    return math ? copyMath(math) : el("span", null, "");
  }

  async function postJSON(url, body, signal) {
    var response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      signal: signal,
    });
    var data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = { detail: "the server answered " + response.status + " without JSON" };
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  // ---- the evaluator ----------------------------------------------------------------------------------

  function Evaluator(section) {
    this.section = section;
    this.form = section.querySelector("form");
    this.api = section.getAttribute("data-api");
    this.framework = section.getAttribute("data-framework");
    this.layer = section.getAttribute("data-layer");
    this.controls = Array.prototype.filter.call(this.form.elements, function (c) {
      return c.name && (c.tagName === "INPUT" || c.tagName === "SELECT");
    });
    this.timer = null;
    this.controller = null;
    this.seq = 0;
    this.started = 0;
    var self = this;
    // Light debouncing: the first change runs at once, changes within 40 ms of a run wait for the next.
    this.lastRun = -Infinity;
    var schedule = function () {
      if (!self.started) self.started = performance.now();
      section.setAttribute("aria-busy", "true");
      clearTimeout(self.timer);
      var wait = self.lastRun + 40 - performance.now();
      if (wait <= 0) {
        self.lastRun = performance.now();
        self.run();
      } else {
        self.timer = setTimeout(function () {
          self.lastRun = performance.now();
          self.run();
        }, wait);
      }
    };
    this.form.addEventListener("input", schedule);
    this.form.addEventListener("change", schedule);
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.started = performance.now();
      self.lastKey = null;
      self.run();
    });
    section.setAttribute("data-live", "");
  }

  Evaluator.prototype.fieldBox = function (name) {
    return this.section.querySelector('[data-field="' + CSS.escape(name) + '"]');
  };

  Evaluator.prototype.setFieldError = function (name, message) {
    var box = this.fieldBox(name);
    if (!box) return false;
    var control = box.querySelector("input, select");
    var note = box.querySelector("[data-error-for]");
    var help = "h-" + name;
    if (message) {
      box.classList.add("has-error");
      note.textContent = message;
      note.hidden = false;
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", help + " e-" + name);
    } else {
      box.classList.remove("has-error");
      note.textContent = "";
      note.hidden = true;
      control.removeAttribute("aria-invalid");
      control.setAttribute("aria-describedby", help);
    }
    return true;
  };

  Evaluator.prototype.showErrors = function (errors) {
    var summary = this.section.querySelector("[data-error-summary]");
    var list = summary.querySelector("[data-error-list]");
    list.textContent = "";
    var self = this;
    errors.forEach(function (err) {
      var item = el("li");
      if (err.field) {
        var link = el("a", null, err.message);
        link.href = "#f-" + err.field;
        item.appendChild(link);
      } else {
        item.textContent = err.message;
      }
      list.appendChild(item);
      if (err.field) self.setFieldError(err.field, err.message);
    });
    summary.hidden = errors.length === 0;
  };

  Evaluator.prototype.clearErrors = function () {
    var self = this;
    this.controls.forEach(function (c) { self.setFieldError(c.name, null); });
    this.showErrors([]);
  };

  Evaluator.prototype.permalink = function () {
    var query = new URLSearchParams();
    this.controls.forEach(function (c) { query.append(c.name, c.value); });
    var action = this.form.getAttribute("action").split("#")[0];
    return action + "?" + query.toString() + "#evaluator";
  };

  /** Which form field an error's "field" names: params.filters -> filters, input_shape[2] -> input_shape. */
  Evaluator.prototype.formField = function (field) {
    if (!field) return null;
    if (field.indexOf("input_shape") === 0) return "input_shape";
    if (field.indexOf("params.") === 0) {
      var name = field.slice(7).split(/[.[]/)[0];
      return this.fieldBox(name) ? name : null;
    }
    return null;
  };

  /** What the fields hold, as one string: the same string is the same question. */
  Evaluator.prototype.fieldsKey = function () {
    return JSON.stringify(this.controls.map(function (c) { return [c.name, c.value]; }));
  };

  /** The end of a run that shows errors instead of an answer. */
  Evaluator.prototype.showFieldErrors = function (errors) {
    this.clearErrors();
    this.showErrors(errors);
    this.showValues(null, "No result: " + errors[0].message);
    this.showFormulas(null);
    this.done();
  };

  /**
   * Two requests, one after the other, each with the fields as text (the server reads them as it does
   * without JavaScript): substitute=false answers in a millisecond or two and fills in the output
   * shape, the parameter count and the weights; then substitute=true brings the formulas with the
   * user's numbers (SymPy renders them, which takes longer). Only the newest answers show.
   *
   * A run whose fields are what the last run sent (a change event after the input events) changes
   * nothing: the answer in flight is the answer to these fields, so it must not be dropped. Only a
   * run with other fields makes the older answers stale.
   */
  Evaluator.prototype.run = async function () {
    var key = this.fieldsKey();
    if (key === this.lastKey) {
      this.started = 0;
      if (!this.controller) this.section.removeAttribute("aria-busy");
      return;
    }
    this.lastKey = key;
    var seq = ++this.seq;
    if (this.controller) this.controller.abort();
    this.controller = new AbortController();
    var signal = this.controller.signal;
    var self = this;
    var fields = {};
    this.controls.forEach(function (c) { fields[c.name] = c.value; });
    var link = this.permalink();
    history.replaceState(history.state, "", link);
    this.section.querySelector("[data-permalink]").href = link;
    var body = { framework: this.framework, layer: this.layer, fields: fields, substitute: false };
    var list = this.section.querySelector("[data-substituted]");
    list.setAttribute("aria-busy", "true");
    var quick = postJSON(this.api, body, signal);
    // The formulas are asked for once the shape is on screen: the server renders them with SymPy,
    // which must not hold up the quick answer.
    var full = quick.then(function (answer) {
      if (seq !== self.seq || !answer.ok) return { ok: false, data: null };
      return postJSON(self.api, Object.assign({}, body, { substitute: true }), signal);
    });
    full.then(function (answer) {
      if (seq !== self.seq) return;
      list.removeAttribute("aria-busy");
      self.showFormulas(answer.ok ? answer.data : null);
    }, function () {});
    Promise.allSettled([quick, full]).then(function () {
      if (seq !== self.seq) return;
      self.controller = null;
      self.section.removeAttribute("aria-busy");
    });
    var answer;
    try {
      answer = await quick;
    } catch (err) {
      if (err.name === "AbortError" || seq !== this.seq) return;
      this.lastKey = null;
      this.clearErrors();
      this.showErrors([{ field: null, message: "The server cannot be reached; press Compute to try again." }]);
      return;
    }
    if (seq !== this.seq) return; // a newer request is on its way
    if (answer.ok) {
      this.clearErrors();
      this.showValues(answer.data);
      this.done();
      return;
    }
    var data = answer.data || {};
    // Fields the server cannot read come all at once (errors); an engine error names one field.
    var errors = (data.errors || [{ field: data.field, detail: data.detail || data.title || "the engine cannot compute this" }])
      .map(function (e) { return { field: self.formField(e.field), message: e.detail }; });
    this.showFieldErrors(errors);
  };

  Evaluator.prototype.done = function () {
    if (this.started) {
      this.section.setAttribute("data-latency-ms", (performance.now() - this.started).toFixed(1));
      this.started = 0;
    }
  };

  Evaluator.prototype.showFormulas = function (r) {
    var list = this.section.querySelector("[data-substituted]");
    list.textContent = "";
    ((r && r.formulas) || []).forEach(function (f) {
      var item = el("li");
      var figure = el("figure", "formula");
      figure.appendChild(mathFrom(f.substituted && f.substituted.mathml));
      var caption = el("figcaption", null, (f.where || "") + ": ");
      caption.appendChild(el("code", "formula-text", f.substituted ? f.substituted.text : f.text));
      figure.appendChild(caption);
      item.appendChild(figure);
      list.appendChild(item);
    });
  };

  Evaluator.prototype.showValues = function (r, message) {
    var box = this.section.querySelector("[data-result]");
    var outputShape = box.querySelector("[data-output-shape]");
    var count = box.querySelector("[data-param-count]");
    var trainable = box.querySelector("[data-trainable]");
    var outputs = box.querySelector("[data-outputs]");
    var outputsLabel = box.querySelector("[data-outputs-label]");
    var weights = box.querySelector("[data-weights]");
    var summary = box.querySelector("[data-summary]");
    outputs.textContent = "";
    var tbody = weights.querySelector("tbody");
    tbody.textContent = "";
    if (!r) {
      box.setAttribute("data-empty", "");
      outputShape.replaceChildren(code("—"));
      count.replaceChildren(code("—"));
      trainable.textContent = "";
      outputs.hidden = outputsLabel.hidden = true;
      weights.hidden = true;
      summary.textContent = message || "No result.";
      return;
    }
    box.removeAttribute("data-empty");
    outputShape.replaceChildren(code(shapeText(r.output_shape)));
    count.replaceChildren(code(numberText(r.param_count)));
    trainable.textContent = r.trainable_params !== r.param_count ? " (trainable " + numberText(r.trainable_params) + ")" : "";
    var names = Object.keys(r.outputs || {});
    outputs.hidden = outputsLabel.hidden = names.length < 2;
    if (names.length > 1) {
      names.forEach(function (name, n) {
        if (n) outputs.appendChild(document.createTextNode("; "));
        outputs.appendChild(code(name + " " + shapeText(r.outputs[name])));
      });
    }
    var weightNames = Object.keys(r.weights || {});
    weights.hidden = weightNames.length === 0;
    weightNames.forEach(function (name) {
      var row = el("tr");
      var head = el("th", null, name);
      head.scope = "row";
      row.appendChild(head);
      var cell = el("td");
      cell.appendChild(code(shapeText(r.weights[name])));
      row.appendChild(cell);
      tbody.appendChild(row);
    });
    summary.textContent = "Output shape " + shapeText(r.output_shape) + ", " + numberText(r.param_count) + " parameters";
  };

  // ---- the tracer -----------------------------------------------------------------------------------

  function Tracer(form) {
    this.form = form;
    this.api = form.getAttribute("data-api");
    this.jsonUrl = form.getAttribute("data-json");
    this.maxRows = parseInt(form.getAttribute("data-max-rows"), 10) || 200;
    this.body = form.querySelector("[data-rows]");
    this.framework = form.querySelector("#t-framework");
    this.input = form.querySelector("#t-input");
    this.status = document.querySelector("[data-trace-status]");
    this.timer = null;
    this.controller = null;
    this.seq = 0;
    var self = this;
    var schedule = function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.run(); }, 60);
    };
    form.addEventListener("input", schedule);
    form.addEventListener("change", function (event) {
      if (event.target === self.framework) self.switchFramework();
      schedule();
    });
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.hasAttribute("data-add")) {
        event.preventDefault();
        self.addRow("", "", true);
        self.run();
      } else if (button.hasAttribute("data-remove")) {
        event.preventDefault();
        self.removeRow(button.closest("tr"));
        self.run();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.run(true);
    });
    var snippetForm = document.querySelector("[data-snippet-form]");
    if (snippetForm) {
      snippetForm.addEventListener("submit", function (event) {
        event.preventDefault();
        self.fromSnippet(snippetForm);
      });
    }
    form.setAttribute("data-live", "");
  }

  Tracer.prototype.rows = function () {
    return Array.prototype.slice.call(this.body.querySelectorAll("tr[data-row]"));
  };

  Tracer.prototype.switchFramework = function () {
    var list = "layers-" + this.framework.value;
    this.rows().forEach(function (row) { row.querySelector('input[name="layer"]').setAttribute("list", list); });
  };

  Tracer.prototype.renumber = function () {
    this.rows().forEach(function (row, n) {
      row.querySelector("[data-num]").textContent = String(n);
      var layer = row.querySelector('input[name="layer"]');
      var params = row.querySelector('input[name="params"]');
      layer.id = "l-" + n;
      params.id = "p-" + n;
      row.querySelector('label[data-for="l"]').htmlFor = layer.id;
      row.querySelector('label[data-for="l"]').textContent = "Layer " + n + " type";
      row.querySelector('label[data-for="p"]').htmlFor = params.id;
      row.querySelector('label[data-for="p"]').textContent = "Layer " + n + " parameters";
      var remove = row.querySelector("[data-remove]");
      remove.value = String(n);
      remove.querySelector(".visually-hidden").textContent = " layer " + n;
      var message = row.nextElementSibling;
      message.setAttribute("data-message-for", String(n));
      message.querySelector("[data-row-message]").id = "r-" + n;
      layer.setAttribute("aria-describedby", "r-" + n);
      params.setAttribute("aria-describedby", "r-" + n);
    });
  };

  Tracer.prototype.addRow = function (layerText, paramsText, focus) {
    if (this.rows().length >= this.maxRows) return null;
    var row = el("tr", "row-pending");
    row.setAttribute("data-row", "");
    row.appendChild(el("td", "num"));
    row.lastChild.setAttribute("data-num", "");
    [["l", "layer", "Layer type", layerText], ["p", "params", "Parameters", paramsText]].forEach(function (spec) {
      var cell = el("td");
      cell.setAttribute("data-label", spec[2]);
      var label = el("label", "visually-hidden");
      label.setAttribute("data-for", spec[0]);
      var input = el("input");
      input.type = "text";
      input.name = spec[1];
      input.value = spec[3];
      input.autocomplete = "off";
      input.spellcheck = false;
      input.setAttribute("autocapitalize", "off");
      cell.appendChild(label);
      cell.appendChild(input);
      row.appendChild(cell);
    });
    var out = el("td");
    out.setAttribute("data-label", "Output shape");
    out.setAttribute("data-out", "");
    row.appendChild(out);
    var count = el("td");
    count.setAttribute("data-label", "Param #");
    count.setAttribute("data-count", "");
    row.appendChild(count);
    var actions = el("td");
    var remove = el("button", "secondary", "Remove");
    remove.type = "submit";
    remove.name = "remove";
    remove.setAttribute("data-remove", "");
    remove.appendChild(el("span", "visually-hidden"));
    actions.appendChild(remove);
    row.appendChild(actions);
    var message = el("tr", "row-message");
    message.hidden = true;
    message.appendChild(el("td"));
    var messageCell = el("td");
    messageCell.colSpan = 5;
    var p = el("p", "field-error");
    p.setAttribute("data-row-message", "");
    messageCell.appendChild(p);
    message.appendChild(messageCell);
    this.body.appendChild(row);
    this.body.appendChild(message);
    this.switchFramework();
    this.renumber();
    if (focus) row.querySelector('input[name="layer"]').focus();
    return row;
  };

  Tracer.prototype.removeRow = function (row) {
    var next = row.nextElementSibling && row.nextElementSibling.nextElementSibling;
    row.nextElementSibling.remove();
    row.remove();
    if (!this.rows().length) this.addRow("", "", false);
    this.renumber();
    var target = next && next.matches("tr[data-row]") ? next : this.form.querySelector("[data-add]");
    (target.querySelector ? target.querySelector('input[name="layer"]') || target : target).focus();
  };

  Tracer.prototype.setRows = function (pairs) {
    this.body.textContent = "";
    var self = this;
    pairs.forEach(function (pair) { self.addRow(pair[0], pair[1], false); });
    if (!pairs.length) this.addRow("", "", false);
  };

  Tracer.prototype.setInputError = function (message) {
    var box = this.input.closest(".field");
    var note = box.querySelector("[data-error-for]");
    note.textContent = message || "";
    note.hidden = !message;
    box.classList.toggle("has-error", !!message);
    if (message) {
      this.input.setAttribute("aria-invalid", "true");
      this.input.setAttribute("aria-describedby", "t-input-help t-input-error");
    } else {
      this.input.removeAttribute("aria-invalid");
      this.input.setAttribute("aria-describedby", "t-input-help");
    }
  };

  /** Row states: [{status: ok|error|skipped|empty|pending, output_shape, param_count, message}] */
  Tracer.prototype.render = function (states, result, error, notes) {
    this.rows().forEach(function (row, n) {
      var s = states[n] || { status: "pending" };
      row.className = "row-" + s.status;
      if (s.status === "error") row.setAttribute("aria-invalid", "true");
      else row.removeAttribute("aria-invalid");
      var out = row.querySelector("[data-out]");
      if (s.output_shape) out.replaceChildren(code(shapeText(s.output_shape)));
      else if (s.status === "skipped") out.replaceChildren(el("span", "help", "not reached"));
      else out.replaceChildren();
      row.querySelector("[data-count]").textContent = s.status === "ok" ? numberText(s.param_count) : "";
      var message = row.nextElementSibling;
      var p = message.querySelector("[data-row-message]");
      message.hidden = s.status !== "error";
      p.textContent = s.status === "error" ? "Does not fit: " + s.message : "";
      var field = s.field || "";
      var layerBad = s.status === "error" && /layer$/.test(field);
      var paramsBad = s.status === "error" && !layerBad;
      var layerInput = row.querySelector('input[name="layer"]');
      var paramsInput = row.querySelector('input[name="params"]');
      if (layerBad) layerInput.setAttribute("aria-invalid", "true"); else layerInput.removeAttribute("aria-invalid");
      if (paramsBad) paramsInput.setAttribute("aria-invalid", "true"); else paramsInput.removeAttribute("aria-invalid");
    });
    var foot = this.form.querySelector("tfoot");
    foot.querySelector("[data-final-shape]").replaceChildren(code(result ? shapeText(result.output_shape) : "—"));
    foot.querySelector("[data-total]").textContent = result ? numberText(result.total_params) : "—";
    this.status.textContent = "";
    if (error) {
      var p = el("p", "error", (error.layer_index !== null && error.layer_index !== undefined ? "Layer " + error.layer_index + " does not fit: " : "") + error.message);
      p.setAttribute("role", "alert");
      this.status.appendChild(p);
      var explain = this.status.getAttribute("data-explain");
      if (explain && error.layer_index !== null && error.layer_index !== undefined) {
        // The same link the server renders under a failed trace: the explainer reads the tracer's message.
        var more = el("p", "", "");
        more.setAttribute("data-explain-link", "");
        var a = el("a", "", "Explain this error");
        a.href = explain + "?" + new URLSearchParams({ message: error.message, framework: this.framework.value }).toString();
        more.appendChild(a);
        more.appendChild(document.createTextNode(": why the numbers disagree, the formula and a fix."));
        this.status.appendChild(more);
      }
    } else if (result) {
      this.status.appendChild(el("p", "ok-summary", "Output " + shapeText(result.output_shape) + ", " +
        numberText(result.total_params) + " parameters in total (" + numberText(result.trainable_params) + " trainable)."));
    }
    var self = this;
    (notes || []).forEach(function (note) { self.status.appendChild(el("p", "note", note)); });
    var link = this.permalink();
    history.replaceState(history.state, "", link);
    var permalink = document.querySelector("[data-permalink]");
    if (permalink) permalink.href = link;
    var jsonLink = document.querySelector("[data-json-link]");
    if (jsonLink) jsonLink.href = this.jsonUrl + link.slice(link.indexOf("?"));
  };

  Tracer.prototype.query = function () {
    var query = new URLSearchParams();
    query.append("framework", this.framework.value);
    query.append("input_shape", this.input.value);
    this.rows().forEach(function (row) {
      var layer = row.querySelector('input[name="layer"]').value;
      var params = row.querySelector('input[name="params"]').value;
      if (layer.trim() || params.trim()) {
        query.append("layer", layer);
        query.append("params", params);
      }
    });
    return query;
  };

  Tracer.prototype.permalink = function () {
    return this.form.getAttribute("action") + "?" + this.query().toString();
  };

  /**
   * The server reads the table (the page's JSON twin, /trace.json: the same reading as without
   * JavaScript, engine.snippet's grammar) and traces it; the page only shows the answer. A run with
   * the table the last run sent changes nothing (its answer is in flight or on screen); a run with
   * another table makes the older answers stale.
   */
  Tracer.prototype.run = async function (force) {
    clearTimeout(this.timer);
    this.timer = null;
    var query = this.query().toString();
    if (query === this.lastQuery && !force) return;
    this.lastQuery = query;
    var seq = ++this.seq;
    if (this.controller) this.controller.abort();
    this.controller = new AbortController();
    var signal = this.controller.signal;
    this.form.setAttribute("aria-busy", "true");
    var data;
    try {
      var response = await fetch(this.jsonUrl + "?" + query, { headers: { Accept: "application/json" }, signal: signal });
      data = await response.json();
    } catch (err) {
      if (err.name === "AbortError" || seq !== this.seq) return;
      this.lastQuery = null;
      this.form.removeAttribute("aria-busy");
      this.render([], null, { message: "The server cannot be reached; press Trace to try again." });
      return;
    }
    if (seq !== this.seq) return; // the table changed while this answer was on its way
    this.controller = null;
    this.form.removeAttribute("aria-busy");
    this.applyServer(data);
  };

  function isBlankRow(row) {
    return !row.querySelector('input[name="layer"]').value.trim() && !row.querySelector('input[name="params"]').value.trim();
  }

  /** The server's rows are the table's non-blank rows, in order: lay them back onto the table. */
  Tracer.prototype.applyServer = function (data) {
    this.form.removeAttribute("aria-busy");
    var served = data.rows.filter(function (row) { return row.status !== "empty"; });
    var domIndex = [];
    var k = 0;
    var states = this.rows().map(function (row, n) {
      if (isBlankRow(row)) return { status: "empty" };
      var s = served[k];
      domIndex[k++] = n;
      if (!s) return { status: "pending" };
      return {
        status: s.status,
        output_shape: s.output_shape,
        param_count: s.param_count,
        message: s.error ? String(s.error.message).replace(/^layer \d+: /, "") : "",
        field: s.error ? s.error.field : "",
      };
    });
    var error = null;
    if (data.error) {
      var row = typeof data.error.row === "number" ? domIndex[data.error.row] : null;
      error = { message: data.error.reason || data.error.message, layer_index: row === undefined ? null : row };
    }
    this.setInputError(data.error && data.error.field === "input_shape" ? data.error.message : null);
    this.render(states, data.result, error, data.notes);
  };

  Tracer.prototype.fromSnippet = async function (snippetForm) {
    var note = snippetForm.querySelector("[data-error-for]");
    var textarea = snippetForm.querySelector("textarea");
    var notes = snippetForm.querySelector("[data-snippet-notes]");
    // A table edit still waiting on its debounce would start a newer trace and swallow this answer.
    clearTimeout(this.timer);
    this.timer = null;
    if (this.controller) this.controller.abort();
    this.controller = null;
    var seq = ++this.seq;
    var response;
    var data;
    try {
      response = await fetch(this.jsonUrl, {
        method: "POST",
        headers: { Accept: "application/json" },
        body: new URLSearchParams(new FormData(snippetForm)),
      });
      data = await response.json();
    } catch (err) {
      note.textContent = "The server cannot be reached; try again.";
      note.hidden = false;
      return;
    }
    if (seq !== this.seq) return;
    notes.textContent = "";
    if (data.snippet && data.snippet.error) {
      note.textContent = data.snippet.error;
      note.hidden = false;
      textarea.setAttribute("aria-invalid", "true");
      textarea.setAttribute("aria-describedby", "snippet-help snippet-error");
      textarea.focus();
      return;
    }
    note.textContent = "";
    note.hidden = true;
    textarea.removeAttribute("aria-invalid");
    textarea.setAttribute("aria-describedby", "snippet-help");
    (data.snippet.notes || []).forEach(function (text) { notes.appendChild(el("li", null, text)); });
    this.framework.value = data.framework;
    this.input.value = data.input_shape;
    this.setRows(data.rows.filter(function (row) { return row.status !== "empty"; }).map(function (row) { return [row.layer, row.params]; }));
    this.lastQuery = this.query().toString(); // the table on screen is the one the server just traced
    this.applyServer(data);
    this.form.querySelector("caption").scrollIntoView({ block: "start" });
    var first = this.rows()[0];
    if (first) first.querySelector('input[name="layer"]').focus({ preventScroll: true });
  };

  // ---- start ---------------------------------------------------------------------------------------

  function start() {
    document.querySelectorAll("[data-evaluator]").forEach(function (section) { new Evaluator(section); });
    var tracer = document.querySelector("[data-tracer]");
    if (tracer) new Tracer(tracer);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

})();
