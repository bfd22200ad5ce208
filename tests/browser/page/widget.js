// A small chat widget for the browser test, with the token API of IBM
// watsonx Orchestrate's embedded chat:
//   widget.on('authTokenNeeded', async (event) => { event.authToken = await askTheHost(); });
//   widget.updateAuthToken(jwt);
// It asks for a token when it has none or when its token is within
// `refreshMargin` seconds of `exp`, so that no chat request is sent with a
// token that is about to run out. A request answered 401 asks for a fresh
// token and is retried once (counted in `stats.unauthorized`, which the test
// requires to stay 0). (Today the gateway sends its refusals without
// Access-Control-Allow-Origin, so a browser sees a refused request as a
// network error, a TypeError, not as a 401: counted in `stats.failed`.)
// Chat requests go to the gateway with
// `Authorization: Bearer`; the WebSocket carries its token as the protocol
// `bearer.<jwt>` (browsers cannot set headers on a WebSocket) and, when the
// gateway closes it with 4001 at the token's expiry, reconnects with a fresh
// token.
(function () {
  'use strict';

  function part(s) {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
    return JSON.parse(atob(b64));
  }
  // Reads the token's header and claims (not a verification: the widget
  // only needs `exp` and `kid`; the gateway verifies).
  function peek(jwt) {
    const [h, p] = jwt.split('.');
    return { header: part(h), claims: part(p) };
  }

  class ChatWidget {
    constructor({ gateway, tenant, refreshMargin = 5 }) {
      this.base = `${gateway}/t/${encodeURIComponent(tenant)}`;
      this.wsBase = this.base.replace(/^http/, 'ws');
      this.refreshMargin = refreshMargin;
      this.handlers = {};
      this.token = null;
      this.pending = null;
      this.ws = null;
      this.wantSocket = false;
      this.stats = { tokens: [], http: [], ws: [], authTokenNeeded: 0, unauthorized: 0, failed: 0, errors: [] };
    }

    on(type, handler) {
      (this.handlers[type] ||= []).push(handler);
    }

    emit(type, detail) {
      for (const h of this.handlers[type] || []) {
        try { h(detail); } catch (e) { this.stats.errors.push(`${type} handler: ${e}`); }
      }
    }

    updateAuthToken(jwt) {
      const { header, claims } = peek(jwt);
      this.token = { jwt, kid: header.kid, exp: claims.exp, jti: claims.jti, sub: claims.sub };
      this.stats.tokens.push({ kid: header.kid, exp: claims.exp, iat: claims.iat, jti: claims.jti, at: Date.now() });
      this.emit('tokenUpdated', this.token);
    }

    // The current token, asking the host for a fresh one when needed.
    async authToken() {
      const fresh = () => this.token && this.token.exp - Date.now() / 1000 > this.refreshMargin;
      if (fresh()) return this.token;
      if (!this.pending) {
        this.pending = (async () => {
          const event = { type: 'authTokenNeeded', authToken: null, previousExp: this.token ? this.token.exp : null };
          this.stats.authTokenNeeded++;
          for (const h of this.handlers.authTokenNeeded || []) await h(event);
          if (event.authToken) this.updateAuthToken(event.authToken);
        })().finally(() => { this.pending = null; });
      }
      await this.pending;
      if (!fresh()) throw new Error('the authTokenNeeded handler gave no fresh token');
      return this.token;
    }

    post(text, t) {
      return fetch(`${this.base}/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    }

    // One chat request; resolves to its record (never rejects).
    async send(text) {
      const rec = { text, sentAt: null, status: null, ok: false };
      this.stats.http.push(rec);
      try {
        let t = await this.authToken();
        Object.assign(rec, { kid: t.kid, exp: t.exp, jti: t.jti, sentAt: Date.now() });
        let r = await this.post(text, t);
        if (r.status === 401) {
          this.stats.unauthorized++;
          this.token = null;
          t = await this.authToken();
          Object.assign(rec, { kid: t.kid, exp: t.exp, jti: t.jti, retried: true });
          r = await this.post(text, t);
        }
        rec.status = r.status;
        const body = await r.json();
        rec.ok = r.ok;
        rec.reply = body;
        rec.doneAt = Date.now();
        if (!r.ok) {
          this.stats.failed++;
          rec.error = body.error || `HTTP ${r.status}`;
          this.emit('failed', rec);
        } else {
          this.emit('reply', rec);
        }
      } catch (e) {
        this.stats.failed++;
        rec.error = `${e.name}: ${e.message}`;
        rec.doneAt = Date.now();
        this.emit('failed', rec);
      }
      return rec;
    }

    // Opens the chat socket; with `reconnect`, a closed socket is opened
    // again with a fresh token for as long as `disconnect` was not called.
    // Resolves to the socket's record once it opened or closed.
    connect({ reconnect = true } = {}) {
      this.wantSocket = reconnect;
      this.userClosed = false;
      return this.open();
    }

    open() {
      return new Promise((resolve) => {
        this.authToken().then((t) => {
          if (this.userClosed) return resolve(null);
          const rec = { kid: t.kid, exp: t.exp, jti: t.jti, startedAt: Date.now(), opened: false, protocol: null, hello: null, echoes: 0, closed: null };
          this.stats.ws.push(rec);
          const ws = new WebSocket(`${this.wsBase}/socket`, ['chat.v1', `bearer.${t.jwt}`]);
          this.ws = ws;
          ws.onopen = () => {
            Object.assign(rec, { opened: true, openedAt: Date.now(), protocol: ws.protocol });
            this.emit('socket', rec);
            resolve(rec);
          };
          ws.onmessage = (m) => {
            const d = JSON.parse(m.data);
            if (d.type === 'hello') rec.hello = d;
            else if (d.type === 'echo') { rec.echoes++; rec.lastEcho = d; }
            this.emit('socketMessage', d);
          };
          ws.onerror = () => { rec.error = true; };
          ws.onclose = (e) => {
            rec.closed = { code: e.code, reason: e.reason, wasClean: e.wasClean, at: Date.now() };
            if (this.ws === ws) this.ws = null;
            this.emit('socketClosed', rec);
            resolve(rec);
            if (this.wantSocket) {
              // 4001 is the gateway's "token expired": reconnect at once
              // (authToken() fetches a fresh one if needed); anything else
              // is not expected here, so back off a little.
              const wait = e.code === 4001 ? 0 : 500;
              setTimeout(() => {
                if (this.wantSocket) this.open();
              }, wait);
            }
          };
        }).catch((e) => {
          this.stats.errors.push(`connect: ${e}`);
          resolve(null);
        });
      });
    }

    // Sends a chat line over the socket, if it is open.
    say(text) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(text);
        return true;
      }
      return false;
    }

    disconnect() {
      this.wantSocket = false;
      this.userClosed = true;
      if (this.ws) this.ws.close(1000, 'bye');
    }
  }

  window.ChatWidget = ChatWidget;
})();
