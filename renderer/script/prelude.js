// The pure-JS plumbing of a document's realm, evaluated once per realm before
// any page script (embedded at build time; see BUILD.bazel). It holds no
// Fetch rules: every interface that wraps the C++ Fetch model (Request,
// Headers, bodies, fetchLater, AbortSignal) is a C++ binding that this file
// only helps define (defineInterface). Here live: DOMException and
// QuotaExceededError (WebIDL), Event, PageTransitionEvent and EventTarget
// (DOM), Window and Document, console formatting, queueMicrotask.
//
// Evaluated as a function expression; called with `native` (C++ functions)
// and returns the hooks the C++ side calls. Script never sees either.
(function (native) {
  'use strict';
  const global = globalThis;
  const {
    defineProperty, getPrototypeOf, setPrototypeOf, create,
    getOwnPropertyDescriptor,
  } = Object;
  const apply = Reflect.apply;
  const ownKeys = Reflect.ownKeys;
  const IteratorSymbol = Symbol.iterator;
  const ToStringTag = Symbol.toStringTag;
  const ErrorCtor = Error, TypeErrorCtor = TypeError,
        RangeErrorCtor = RangeError;
  const WeakMapCtor = WeakMap;
  const Uint8ArrayCtor = Uint8Array;
  const PromiseResolve = Promise.resolve.bind(Promise);
  const promiseThen = Promise.prototype.then;
  const jsonStringify = JSON.stringify;
  const jsonParse = JSON.parse;
  const StringCtor = String;
  const NumberIsFinite = Number.isFinite;
  const MathTrunc = Math.trunc;
  const dataViewBuffer =
      getOwnPropertyDescriptor(DataView.prototype, 'buffer').get;
  const dataViewOffset =
      getOwnPropertyDescriptor(DataView.prototype, 'byteOffset').get;
  const dataViewLength =
      getOwnPropertyDescriptor(DataView.prototype, 'byteLength').get;
  const isDataView = (v) => {
    try { apply(dataViewBuffer, v, []); return true; } catch (e) { return false; }
  };

  // WebIDL: interface objects and interface prototype objects.
  const interfaces = {__proto__: null};

  function exposeOnWindow(name, value) {
    defineProperty(global, name,
                   {value, writable: true, enumerable: false, configurable: true});
  }

  function defineOperation(target, name, fn, length) {
    try { defineProperty(fn, 'length', {value: length, configurable: true}); } catch (e) {}
    defineProperty(target, name,
                   {value: fn, writable: true, enumerable: true, configurable: true});
  }

  // A JS-defined interface (class) registered so C++ interfaces can inherit.
  function registerClass(name, cls) {
    interfaces[name] = cls;
    defineProperty(cls.prototype, ToStringTag, {value: name, configurable: true});
    exposeOnWindow(name, cls);
  }

  // WebIDL: "default iterator object" for a pair iterable, live over
  // pairs(target) ("the value pairs to iterate over").
  function definePairIterable(name, proto, pairs) {
    const IteratorPrototype = getPrototypeOf(getPrototypeOf([][IteratorSymbol]()));
    const iteratorState = new WeakMapCtor();
    const iterProto = create(IteratorPrototype);
    defineOperation(iterProto, 'next', function next() {
      const s = iteratorState.get(this);
      if (s === undefined) throw new TypeErrorCtor('Illegal invocation');
      const list = pairs.call(s.target);
      if (s.index >= list.length) return {value: undefined, done: true};
      const [k, v] = list[s.index++];
      const value = s.kind === 'key' ? k : s.kind === 'value' ? v : [k, v];
      return {value, done: false};
    }, 0);
    defineProperty(iterProto, ToStringTag,
                   {value: `${name} Iterator`, configurable: true});
    const makeIterator = (kind) => function () {
      pairs.call(this);  // brand check
      const it = create(iterProto);
      iteratorState.set(it, {target: this, kind, index: 0});
      return it;
    };
    const entries = makeIterator('key+value');
    defineOperation(proto, 'entries', entries, 0);
    defineOperation(proto, 'keys', makeIterator('key'), 0);
    defineOperation(proto, 'values', makeIterator('value'), 0);
    defineOperation(proto, 'forEach', function forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') {
        throw new TypeErrorCtor(`Failed to execute 'forEach' on '${name}': parameter 1 is not of type 'Function'.`);
      }
      let list = pairs.call(this);
      for (let i = 0; i < list.length; i++) {
        const [k, v] = list[i];
        apply(callback, thisArg, [v, k, this]);
        list = pairs.call(this);
      }
    }, 1);
    defineProperty(proto, IteratorSymbol,
                   {value: entries, writable: true, enumerable: false, configurable: true});
  }

  // Defines a C++-backed interface: `construct` is called with this =
  // new.target. Returns the interface prototype object.
  function defineInterface(name, parentName, construct, length, methods,
                           attributes, statics, pairs) {
    const parent = parentName === null ? null : interfaces[parentName];
    const I = {
      [name]: function () {
        if (new.target === undefined) {
          throw new TypeErrorCtor(`Failed to construct '${name}': Please use the 'new' operator, this DOM object constructor cannot be called as a function.`);
        }
        if (construct === null) throw new TypeErrorCtor('Illegal constructor');
        return apply(construct, new.target, arguments);
      },
    }[name];
    defineProperty(I, 'length', {value: length, configurable: true});
    const proto = parent ? create(parent.prototype) : {};
    if (parent) setPrototypeOf(I, parent);
    defineProperty(I, 'prototype',
                   {value: proto, writable: false, enumerable: false, configurable: false});
    defineProperty(proto, 'constructor',
                   {value: I, writable: true, enumerable: false, configurable: true});
    for (const [n, fn, len] of methods) defineOperation(proto, n, fn, len);
    for (const [n, fn, len] of statics) defineOperation(I, n, fn, len);
    for (const [n, getter, setter] of attributes) {
      defineProperty(proto, n, {get: getter, set: setter, enumerable: true, configurable: true});
    }
    if (pairs !== null) definePairIterable(name, proto, pairs);
    registerClass(name, I);
    return proto;
  }

  // WebIDL: DOMException.
  const domExceptionCodes = {
    __proto__: null,
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4,
    InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8,
    NotSupportedError: 9, InUseAttributeError: 10, InvalidStateError: 11,
    SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14,
    InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18,
    NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24,
    DataCloneError: 25,
  };
  const domExceptionState = new WeakMapCtor();
  function domState(e) {
    const s = domExceptionState.get(e);
    if (s === undefined) throw new TypeErrorCtor('Illegal invocation');
    return s;
  }
  class DOMException extends ErrorCtor {
    constructor(message = undefined, name = undefined) {
      super();
      domExceptionState.set(this, {
        message: message === undefined ? '' : `${message}`,
        name: name === undefined ? 'Error' : `${name}`,
      });
    }
    get name() { return domState(this).name; }
    get message() { return domState(this).message; }
    get code() { return domExceptionCodes[domState(this).name] || 0; }
  }
  const legacyCodes = [
    ['INDEX_SIZE_ERR', 1], ['DOMSTRING_SIZE_ERR', 2],
    ['HIERARCHY_REQUEST_ERR', 3], ['WRONG_DOCUMENT_ERR', 4],
    ['INVALID_CHARACTER_ERR', 5], ['NO_DATA_ALLOWED_ERR', 6],
    ['NO_MODIFICATION_ALLOWED_ERR', 7], ['NOT_FOUND_ERR', 8],
    ['NOT_SUPPORTED_ERR', 9], ['INUSE_ATTRIBUTE_ERR', 10],
    ['INVALID_STATE_ERR', 11], ['SYNTAX_ERR', 12],
    ['INVALID_MODIFICATION_ERR', 13], ['NAMESPACE_ERR', 14],
    ['INVALID_ACCESS_ERR', 15], ['VALIDATION_ERR', 16],
    ['TYPE_MISMATCH_ERR', 17], ['SECURITY_ERR', 18], ['NETWORK_ERR', 19],
    ['ABORT_ERR', 20], ['URL_MISMATCH_ERR', 21], ['QUOTA_EXCEEDED_ERR', 22],
    ['TIMEOUT_ERR', 23], ['INVALID_NODE_TYPE_ERR', 24], ['DATA_CLONE_ERR', 25],
  ];
  for (const [n, v] of legacyCodes) {
    defineProperty(DOMException, n, {value: v, enumerable: true});
    defineProperty(DOMException.prototype, n, {value: v, enumerable: true});
  }
  for (const n of ['name', 'message', 'code']) {
    const d = getOwnPropertyDescriptor(DOMException.prototype, n);
    d.enumerable = true;
    defineProperty(DOMException.prototype, n, d);
  }
  registerClass('DOMException', DOMException);

  // WebIDL: QuotaExceededError (a DOMException subclass).
  const quotaState = new WeakMapCtor();
  class QuotaExceededError extends DOMException {
    constructor(message = undefined, options = undefined) {
      super(message, 'QuotaExceededError');
      if (options !== undefined && options !== null && typeof options !== 'object' &&
          typeof options !== 'function') {
        throw new TypeErrorCtor("The provided value is not of type 'QuotaExceededErrorOptions'.");
      }
      const readDouble = (member) => {
        const v = options == null ? undefined : options[member];
        if (v === undefined) return null;
        const d = +v;
        if (!Number.isFinite(d)) {
          throw new TypeErrorCtor(`${member} is not a finite floating-point value.`);
        }
        if (d < 0) throw new RangeErrorCtor(`${member} must not be negative.`);
        return d;
      };
      const quota = readDouble('quota');
      const requested = readDouble('requested');
      if (quota !== null && requested !== null && requested < quota) {
        throw new RangeErrorCtor('requested must not be less than quota.');
      }
      quotaState.set(this, {quota, requested});
    }
    get quota() {
      const s = quotaState.get(this);
      if (s === undefined) throw new TypeErrorCtor('Illegal invocation');
      return s.quota;
    }
    get requested() {
      const s = quotaState.get(this);
      if (s === undefined) throw new TypeErrorCtor('Illegal invocation');
      return s.requested;
    }
  }
  registerClass('QuotaExceededError', QuotaExceededError);

  // DOM: Event.
  const eventState = new WeakMapCtor();
  function evState(e) {
    const s = eventState.get(e);
    if (s === undefined) throw new TypeErrorCtor('Illegal invocation');
    return s;
  }
  function readEventInit(init, extra) {
    if (init !== undefined && init !== null && typeof init !== 'object' &&
        typeof init !== 'function') {
      throw new TypeErrorCtor("The provided value is not of type 'EventInit'.");
    }
    const get = (k) => (init == null ? undefined : init[k]);
    // WebIDL: dictionary members in lexicographic order.
    const r = {bubbles: !!get('bubbles'), cancelable: !!get('cancelable'),
               composed: !!get('composed')};
    for (const k of extra) r[k] = !!get(k);
    return r;
  }
  class Event {
    constructor(type, eventInitDict = undefined) {
      if (arguments.length < 1) {
        throw new TypeErrorCtor("Failed to construct 'Event': 1 argument required, but only 0 present.");
      }
      type = `${type}`;
      const init = readEventInit(eventInitDict, []);
      eventState.set(this, {
        type, bubbles: init.bubbles, cancelable: init.cancelable,
        composed: init.composed, target: null, currentTarget: null,
        phase: 0, stop: false, stopImmediate: false, canceled: false,
        inPassive: false, dispatching: false, initialized: true,
        trusted: false, timeStamp: native.now(),
      });
    }
    get type() { return evState(this).type; }
    get target() { return evState(this).target; }
    get srcElement() { return evState(this).target; }
    get currentTarget() { return evState(this).currentTarget; }
    composedPath() {
      const s = evState(this);
      return s.dispatching && s.path ? s.path.slice() : [];
    }
    get eventPhase() { return evState(this).phase; }
    stopPropagation() { evState(this).stop = true; }
    get cancelBubble() { return evState(this).stop; }
    set cancelBubble(v) { if (v) evState(this).stop = true; }
    stopImmediatePropagation() {
      const s = evState(this);
      s.stop = true;
      s.stopImmediate = true;
    }
    get bubbles() { return evState(this).bubbles; }
    get cancelable() { return evState(this).cancelable; }
    get returnValue() { return !evState(this).canceled; }
    set returnValue(v) { if (!v) cancel(evState(this)); }
    preventDefault() { cancel(evState(this)); }
    get defaultPrevented() { return evState(this).canceled; }
    get composed() { return evState(this).composed; }
    get isTrusted() { return evState(this).trusted; }
    get timeStamp() { return evState(this).timeStamp; }
  }
  function cancel(s) {
    // DOM: "set the canceled flag".
    if (s.cancelable && !s.inPassive) s.canceled = true;
  }
  for (const [n, v] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2],
                        ['BUBBLING_PHASE', 3]]) {
    defineProperty(Event, n, {value: v, enumerable: true});
    defineProperty(Event.prototype, n, {value: v, enumerable: true});
  }
  registerClass('Event', Event);

  // HTML: PageTransitionEvent.
  const persistedState = new WeakMapCtor();
  class PageTransitionEvent extends Event {
    constructor(type, eventInitDict = undefined) {
      if (arguments.length < 1) {
        throw new TypeErrorCtor("Failed to construct 'PageTransitionEvent': 1 argument required, but only 0 present.");
      }
      super(type, eventInitDict);
      persistedState.set(this, readEventInit(eventInitDict, ['persisted']).persisted);
    }
    get persisted() {
      if (!persistedState.has(this)) throw new TypeErrorCtor('Illegal invocation');
      return persistedState.get(this);
    }
  }
  registerClass('PageTransitionEvent', PageTransitionEvent);

  // WebIDL: USVString (lone surrogates become U+FFFD), unsigned short and
  // unsigned long (ToNumber, truncated, modulo 2^16 / 2^32; NaN and infinities
  // are 0).
  function toUSVString(v) {
    const s = `${v}`;
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xDC00 && d <= 0xDFFF) {
          out += s[i] + s[i + 1];
          i++;
          continue;
        }
      }
      out += (c >= 0xD800 && c <= 0xDFFF) ? '\uFFFD' : s[i];
    }
    return out;
  }
  function toUnsigned(v, bits) {
    const n = +v;
    if (!NumberIsFinite(n)) return 0;
    const m = 2 ** bits;
    const t = MathTrunc(n) % m;
    return t < 0 ? t + m : t + 0;
  }

  // CSP: SecurityPolicyViolationEvent and its init dictionary (members
  // converted in lexicographic order after EventInit's; the `required` ones
  // throw a TypeError when missing).
  const violationState = new WeakMapCtor();
  const violationMembers = [
    // [name, conversion, default (undefined: required)]
    ['blockedURI', toUSVString, ''],
    ['columnNumber', (v) => toUnsigned(v, 32), 0],
    ['disposition', (v) => {
      const s = `${v}`;
      if (s !== 'enforce' && s !== 'report') {
        throw new TypeErrorCtor(`Failed to read the 'disposition' property from 'SecurityPolicyViolationEventInit': The provided value '${s}' is not a valid enum value of type SecurityPolicyViolationEventDisposition.`);
      }
      return s;
    }, undefined],
    ['documentURI', toUSVString, undefined],
    ['effectiveDirective', (v) => `${v}`, undefined],
    ['lineNumber', (v) => toUnsigned(v, 32), 0],
    ['originalPolicy', (v) => `${v}`, undefined],
    ['referrer', toUSVString, ''],
    ['sample', (v) => `${v}`, ''],
    ['sourceFile', toUSVString, ''],
    ['statusCode', (v) => toUnsigned(v, 16), undefined],
    ['violatedDirective', (v) => `${v}`, undefined],
  ];
  class SecurityPolicyViolationEvent extends Event {
    constructor(type, eventInitDict = undefined) {
      if (arguments.length < 1) {
        throw new TypeErrorCtor("Failed to construct 'SecurityPolicyViolationEvent': 1 argument required, but only 0 present.");
      }
      super(type, eventInitDict);
      const state = {};
      for (const [name, convert, fallback] of violationMembers) {
        const v = eventInitDict == null ? undefined : eventInitDict[name];
        if (v !== undefined) {
          state[name] = convert(v);
        } else if (fallback === undefined) {
          throw new TypeErrorCtor(`Failed to construct 'SecurityPolicyViolationEvent': Failed to read the '${name}' property from 'SecurityPolicyViolationEventInit': Required member is undefined.`);
        } else {
          state[name] = fallback;
        }
      }
      violationState.set(this, state);
    }
  }
  for (const [name] of violationMembers) {
    defineProperty(SecurityPolicyViolationEvent.prototype, name, {
      enumerable: true, configurable: true,
      get() {
        const s = violationState.get(this);
        if (s === undefined) throw new TypeErrorCtor('Illegal invocation');
        return s[name];
      },
    });
  }
  registerClass('SecurityPolicyViolationEvent', SecurityPolicyViolationEvent);

  // DOM: EventTarget. Listeners live in a side table so any object (the
  // global, document, C++-backed AbortSignal) can be a target.
  const listenerTable = new WeakMapCtor();
  const parentTable = new WeakMapCtor();
  function listenersOf(target) {
    let list = listenerTable.get(target);
    if (list === undefined) {
      list = [];
      listenerTable.set(target, list);
    }
    return list;
  }
  function flattenOptions(options) {
    if (options !== null && (typeof options === 'object' || typeof options === 'function')) {
      return {capture: !!options.capture, options};
    }
    return {capture: !!options, options: null};
  }
  function removeListener(target, listener) {
    listener.removed = true;
    const list = listenersOf(target);
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }
  // DOM: "add an event listener".
  function addListener(target, type, callback, capture, once, passive, signal) {
    if (signal !== undefined && native.signalAborted(signal)) return;
    if (callback === null) return;
    const list = listenersOf(target);
    for (const l of list) {
      if (l.type === type && l.callback === callback && l.capture === capture) return;
    }
    const listener = {type, callback, capture, once, passive, removed: false};
    list.push(listener);
    if (signal !== undefined) {
      addListener(signal, 'abort', {handleEvent() { removeListener(target, listener); }},
                  false, true, false, undefined);
    }
  }
  // WebIDL: an operation called with an undefined `this` on a [Global]
  // interface's member (a bare addEventListener()) uses the global object.
  class EventTarget {
    constructor() {}
    addEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) {
        throw new TypeErrorCtor(`Failed to execute 'addEventListener' on 'EventTarget': 2 arguments required, but only ${arguments.length} present.`);
      }
      type = `${type}`;
      if (callback !== null && typeof callback !== 'object' && typeof callback !== 'function') {
        throw new TypeErrorCtor("Failed to execute 'addEventListener' on 'EventTarget': parameter 2 is not of type 'Object'.");
      }
      const {capture, options: dict} = flattenOptions(options);
      let once = false, passive = false, signal = undefined;
      if (dict !== null) {
        // WebIDL: AddEventListenerOptions members in order.
        once = !!dict.once;
        passive = !!dict.passive;
        const s = dict.signal;
        if (s !== undefined) {
          if (!native.isAbortSignal(s)) {
            throw new TypeErrorCtor("Failed to read the 'signal' property from 'AddEventListenerOptions': Failed to convert value to 'AbortSignal'.");
          }
          signal = s;
        }
      }
      addListener(this ?? global, type, callback, capture, once, passive, signal);
    }
    removeEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) {
        throw new TypeErrorCtor(`Failed to execute 'removeEventListener' on 'EventTarget': 2 arguments required, but only ${arguments.length} present.`);
      }
      type = `${type}`;
      const {capture} = flattenOptions(options);
      const target = this ?? global;
      const list = listenersOf(target);
      for (const l of list) {
        if (l.type === type && l.callback === callback && l.capture === capture) {
          removeListener(target, l);
          return;
        }
      }
    }
    dispatchEvent(event) {
      const s = eventState.get(event);
      if (s === undefined) {
        throw new TypeErrorCtor("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.");
      }
      if (s.dispatching || !s.initialized) {
        throw new DOMException('The event is already being dispatched.', 'InvalidStateError');
      }
      s.trusted = false;
      return dispatch(this ?? global, event);
    }
  }
  registerClass('EventTarget', EventTarget);

  // DOM: "inner invoke".
  function invoke(target, event, s, phase) {
    s.currentTarget = target;
    const list = listenerTable.get(target);
    if (list === undefined) return;
    for (const l of list.slice()) {
      if (l.removed || l.type !== s.type) continue;
      if (phase === 1 && !l.capture) continue;
      if (phase === 3 && l.capture) continue;
      if (l.once) removeListener(target, l);
      s.inPassive = l.passive;
      try {
        const cb = l.callback;
        if (typeof cb === 'function') {
          apply(cb, target, [event]);
        } else {
          const handleEvent = cb.handleEvent;
          if (typeof handleEvent !== 'function') {
            throw new TypeErrorCtor("The listener's handleEvent is not a function.");
          }
          apply(handleEvent, cb, [event]);
        }
      } catch (e) {
        // HTML: "report an exception"; dispatch goes on.
        native.reportException(e);
      }
      s.inPassive = false;
      if (s.stopImmediate) return;
    }
  }
  // DOM: "dispatch" (no shadow trees): capture, at target, bubble.
  function dispatch(target, event) {
    const s = eventState.get(event);
    s.dispatching = true;
    s.target = target;
    const path = [];
    for (let t = target; t !== undefined && t !== null; t = parentTable.get(t)) path.push(t);
    s.path = path;
    s.phase = 1;
    for (let i = path.length - 1; i > 0 && !s.stop; i--) invoke(path[i], event, s, 1);
    if (!s.stop) {
      s.phase = 2;
      invoke(path[0], event, s, 1);
      if (!s.stop) invoke(path[0], event, s, 3);
    }
    if (s.bubbles) {
      s.phase = 3;
      for (let i = 1; i < path.length && !s.stop; i++) invoke(path[i], event, s, 3);
    }
    s.phase = 0;
    s.currentTarget = null;
    s.dispatching = false;
    s.path = null;
    s.stop = false;
    s.stopImmediate = false;
    return !s.canceled;
  }
  function fireTrusted(target, event) {
    evState(event).trusted = true;
    return dispatch(target, event);
  }

  // HTML: event handler IDL attributes (onabort, onpagehide, ...).
  function defineEventHandler(proto, name) {
    const type = name.slice(2);
    const handlers = new WeakMapCtor();
    defineProperty(proto, name, {
      enumerable: true, configurable: true,
      get() { const h = handlers.get(this ?? global); return h ? h.value : null; },
      set(value) {
        const target = this ?? global;
        const handler = (typeof value === 'function' || (typeof value === 'object' && value !== null))
            ? value : null;
        let h = handlers.get(target);
        if (h === undefined) {
          h = {value: null};
          handlers.set(target, h);
          // HTML: the handler's listener is added when first set.
          addListener(target, type, function (event) {
            if (typeof h.value !== 'function') return;
            const r = apply(h.value, this, [event]);
            if (r === false) event.preventDefault();
          }, false, false, false, undefined);
        }
        h.value = handler;
      },
    });
  }

  // HTML: Window and Document.
  class Window extends EventTarget {
    constructor() { throw new TypeErrorCtor('Illegal constructor'); }
  }
  registerClass('Window', Window);
  defineEventHandler(Window.prototype, 'onpagehide');
  defineEventHandler(Window.prototype, 'onpageshow');
  defineEventHandler(Window.prototype, 'onvisibilitychange');
  defineEventHandler(Window.prototype, 'onsecuritypolicyviolation');

  // Permissions Policy: the document's policy object.
  class FeaturePolicy {
    constructor() { throw new TypeErrorCtor('Illegal constructor'); }
    allowsFeature(feature, origin = undefined) {
      if (arguments.length < 1) {
        throw new TypeErrorCtor("Failed to execute 'allowsFeature' on 'FeaturePolicy': 1 argument required, but only 0 present.");
      }
      feature = `${feature}`;
      return native.allowedFeatures().includes(feature);
    }
    features() { return native.allowedFeatures(); }
    allowedFeatures() { return native.allowedFeatures(); }
    getAllowlistForFeature(feature) {
      return native.allowedFeatures().includes(`${feature}`) ? ['*'] : [];
    }
  }
  defineProperty(FeaturePolicy.prototype, ToStringTag,
                 {value: 'FeaturePolicy', configurable: true});
  const featurePolicy = create(FeaturePolicy.prototype);

  class Location {
    constructor() { throw new TypeErrorCtor('Illegal constructor'); }
  }
  defineProperty(Location.prototype, ToStringTag, {value: 'Location', configurable: true});
  const location = create(Location.prototype);

  class Document extends EventTarget {
    constructor() { throw new TypeErrorCtor('Illegal constructor'); }
    get visibilityState() { return native.hidden() ? 'hidden' : 'visible'; }
    get hidden() { return native.hidden(); }
    get URL() { return native.documentURL(); }
    get documentURI() { return native.documentURL(); }
    get featurePolicy() { return featurePolicy; }
    get permissionsPolicy() { return featurePolicy; }
    get defaultView() { return global; }
    get location() { return location; }
    get readyState() { return 'complete'; }
  }
  registerClass('Document', Document);
  defineEventHandler(Document.prototype, 'onvisibilitychange');
  defineEventHandler(Document.prototype, 'onsecuritypolicyviolation');
  const document = create(Document.prototype);
  parentTable.set(document, global);

  // Console: formats like browsers do, roughly (strings as is; %s %d %i %f
  // %o %O %c substitutions; other values inspected).
  function inspect(v, depth, seen) {
    switch (typeof v) {
      case 'string': return depth === 0 ? v : jsonStringify(v);
      case 'number': return Object.is(v, -0) ? '-0' : `${v}`;
      case 'bigint': return `${v}n`;
      case 'symbol': return v.toString();
      case 'undefined': return 'undefined';
      case 'boolean': return `${v}`;
      case 'function': return `[Function: ${v.name || '(anonymous)'}]`;
    }
    if (v === null) return 'null';
    try {
      if (v instanceof ErrorCtor) return `${v.name}: ${v.message}`;
      if (seen.includes(v)) return '[Circular]';
      if (depth > 2) return Array.isArray(v) ? '[Array]' : '[Object]';
      const inner = seen.concat([v]);
      if (Array.isArray(v)) {
        return `[${v.map((x) => inspect(x, depth + 1, inner)).join(', ')}]`;
      }
      const tag = v[ToStringTag];
      const proto = getPrototypeOf(v);
      const ctorName = proto && proto.constructor && proto.constructor.name;
      const prefix = typeof tag === 'string' ? `${tag} ` :
          (ctorName && ctorName !== 'Object' ? `${ctorName} ` : '');
      const keys = Object.keys(v);
      if (keys.length === 0) return `${prefix}{}`;
      return `${prefix}{${keys.map((k) => `${k}: ${inspect(v[k], depth + 1, inner)}`).join(', ')}}`;
    } catch (e) {
      return '[object]';
    }
  }
  function format(args) {
    let i = 0;
    let out = '';
    if (typeof args[0] === 'string' && args[0].includes('%')) {
      const f = args[0];
      i = 1;
      for (let k = 0; k < f.length; k++) {
        const c = f[k];
        if (c !== '%' || k + 1 >= f.length) { out += c; continue; }
        const d = f[++k];
        if (d === '%') { out += '%'; continue; }
        if ('sdifoOc'.includes(d) && i >= args.length) { out += `%${d}`; continue; }
        switch (d) {
          case 's': out += typeof args[i] === 'string' ? args[i] : inspect(args[i], 1, []); i++; break;
          case 'd': case 'i': {
            const n = typeof args[i] === 'symbol' ? NaN : Number(args[i]); i++;
            out += `${Number.isFinite(n) ? Math.trunc(n) : n}`;
            break;
          }
          case 'f': out += `${typeof args[i] === 'symbol' ? NaN : Number(args[i])}`; i++; break;
          case 'o': case 'O': out += inspect(args[i], 1, []); i++; break;
          case 'c': i++; break;
          default: out += `%${d}`;
        }
      }
    } else if (args.length > 0) {
      out = inspect(args[0], 0, []);
      i = 1;
    }
    for (; i < args.length; i++) out += ` ${inspect(args[i], 0, [])}`;
    return out;
  }
  const console = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    defineOperation(console, level, {[level](...args) { native.console(level, format(args)); }}[level], 0);
  }
  defineOperation(console, 'assert', function assert(condition = false, ...args) {
    if (condition) return;
    native.console('error', args.length ? `Assertion failed: ${format(args)}` : 'Assertion failed');
  }, 0);
  defineOperation(console, 'trace', function trace(...args) {
    native.console('debug', format(args));
  }, 0);
  defineProperty(console, ToStringTag, {value: 'console', configurable: true});

  function defineGlobalOperation(name, fn, length) {
    try { defineProperty(fn, 'length', {value: length, configurable: true}); } catch (e) {}
    defineProperty(global, name, {value: fn, writable: true, enumerable: true, configurable: true});
  }

  function defineGetter(target, name, get, enumerable = true) {
    defineProperty(target, name, {get, enumerable, configurable: true});
  }

  return {
    Error: ErrorCtor,
    TypeError: TypeErrorCtor,
    RangeError: RangeErrorCtor,
    DOMException,
    QuotaExceededError,
    iteratorSymbol: IteratorSymbol,
    defineInterface,
    defineGlobalOperation,
    ownEnumerableKeys(o) {
      return ownKeys(o).filter((k) => {
        const d = getOwnPropertyDescriptor(o, k);
        return d !== undefined && d.enumerable;
      });
    },
    dataViewBytes(v) {
      if (!isDataView(v)) return undefined;
      return new Uint8ArrayCtor(apply(dataViewBuffer, v, []), apply(dataViewOffset, v, []),
                                apply(dataViewLength, v, []));
    },
    // HTML: "fire a page transition event".
    firePageTransition(type, persisted) {
      fireTrusted(global, new PageTransitionEvent(type, {persisted}));
    },
    // HTML: "update the visibility state": fire visibilitychange at the
    // document, bubbling (to the Window).
    fireVisibilityChange() {
      fireTrusted(document, new Event('visibilitychange', {bubbles: true}));
    },
    // CSP: "report a violation" for a violation whose global object is a
    // Window: fire securitypolicyviolation at its associated Document,
    // bubbling (to the Window) and composed. `init` holds the event's
    // attributes.
    fireSecurityPolicyViolation(init) {
      fireTrusted(document, new SecurityPolicyViolationEvent(
          'securitypolicyviolation',
          {...init, bubbles: true, composed: true, cancelable: false}));
    },
    // DOM: "signal abort" step: fire an event named abort at the signal.
    fireAbort(signal) {
      fireTrusted(signal, new Event('abort'));
    },
    // Fetch: Body json(): "parse JSON from bytes" on the decoded text, with
    // the realm's own JSON.parse (whatever script did to the global).
    parseJson(text) {
      return jsonParse(text);
    },
    // Runs `callback` in a microtask; exceptions are reported.
    enqueueMicrotask(callback) {
      apply(promiseThen, PromiseResolve(), [() => {
        try { callback(); } catch (e) { native.reportException(e); }
      }]);
    },
    install() {
      // The global's [[Prototype]] chain: Window.prototype, EventTarget.
      setPrototypeOf(getPrototypeOf(global), Window.prototype);
      defineEventHandler(interfaces.AbortSignal.prototype, 'onabort');
      defineGetter(global, 'window', () => global);
      defineGetter(global, 'self', () => global);
      defineGetter(global, 'document', () => document);
      defineGetter(global, 'location', () => location);
      defineGetter(global, 'origin', () => native.origin());
      defineGetter(global, 'isSecureContext', () => native.isSecureContext());
      const URLCtor = global.URL;
      for (const k of ['href', 'origin', 'protocol', 'host', 'hostname', 'port',
                       'pathname', 'search', 'hash']) {
        defineGetter(location, k, () => new URLCtor(native.documentURL())[k]);
      }
      defineOperation(location, 'toString', function toString() {
        return native.documentURL();
      }, 0);
      defineProperty(global, 'console',
                     {value: console, writable: true, enumerable: false, configurable: true});
      defineGlobalOperation('queueMicrotask', function queueMicrotask(callback) {
        if (typeof callback !== 'function') {
          throw new TypeErrorCtor("Failed to execute 'queueMicrotask' on 'Window': The callback provided as parameter 1 is not a function.");
        }
        apply(promiseThen, PromiseResolve(), [() => {
          try { callback(); } catch (e) { native.reportException(e); }
        }]);
      }, 1);
      defineGlobalOperation('reportError', function reportError(e) {
        if (arguments.length < 1) {
          throw new TypeErrorCtor("Failed to execute 'reportError' on 'Window': 1 argument required, but only 0 present.");
        }
        native.reportException(e);
      }, 1);
    },
  };
})
