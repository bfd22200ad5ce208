// The chat backend behind `chatseal gateway` in the browser test: Node's
// standard library only. It trusts the gateway's identity headers, as a
// real backend behind the gateway would, and echoes them:
//   POST /chat        -> {"user", "email", "groups", "tenant", "auth", "exp", "text", "n"}
//   GET  /socket      -> WebSocket (RFC 6455): a "hello" frame with the same
//                        identity, then an "echo" frame for every text frame
//   GET  /__log       -> what this backend received (asked by the test
//                        driver directly, not through the gateway)
// Prints "upstream: listening on http://127.0.0.1:PORT" once it listens.
import http from 'node:http';
import crypto from 'node:crypto';

const received = [];
let served = 0;

function identity(req) {
  let claims = {};
  const c = req.headers['x-chatseal-claims'];
  if (c) claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  return {
    user: req.headers['x-chatseal-user'] ?? null,
    email: req.headers['x-chatseal-email'] ?? null,
    groups: req.headers['x-chatseal-groups'] ? JSON.parse(req.headers['x-chatseal-groups']) : null,
    tenant: req.headers['x-chatseal-tenant'] ?? null,
    auth: req.headers['x-chatseal-auth'] ?? null,
    exp: claims.exp ?? null,
    jti: claims.jti ?? null,
  };
}

function record(req, kind) {
  received.push({
    kind,
    at: Date.now(),
    method: req.method,
    url: req.url,
    origin: req.headers.origin ?? null,
    // What must never reach the backend:
    authorization: req.headers.authorization ?? null,
    protocols: req.headers['sec-websocket-protocol'] ?? null,
    ...identity(req),
  });
}

const server = http.createServer((req, res) => {
  if (req.url === '/__log') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(received));
    return;
  }
  record(req, 'http');
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    let text = null;
    try { text = JSON.parse(body || '{}').text ?? null; } catch { text = null; }
    const answer = JSON.stringify({ ...identity(req), text, n: ++served });
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(answer);
  });
});

// Server-to-client frames are not masked.
function frame(opcode, payload) {
  const len = payload.length;
  let head;
  if (len < 126) head = Buffer.from([0x80 | opcode, len]);
  else if (len < 65536) { head = Buffer.alloc(4); head[0] = 0x80 | opcode; head[1] = 126; head.writeUInt16BE(len, 2); }
  else { head = Buffer.alloc(10); head[0] = 0x80 | opcode; head[1] = 127; head.writeBigUInt64BE(BigInt(len), 2); }
  return Buffer.concat([head, payload]);
}

server.on('upgrade', (req, socket) => {
  record(req, 'websocket');
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) {
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  const accept = crypto.createHash('sha1')
    .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const proto = offered.includes('chat.v1') ? 'Sec-WebSocket-Protocol: chat.v1\r\n' : '';
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${proto}\r\n`);
  const who = identity(req);
  socket.write(frame(1, Buffer.from(JSON.stringify({ type: 'hello', ...who }))));
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const mask = masked ? buf.subarray(off, off + 4) : null;
      if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      buf = buf.subarray(off + len);
      if (opcode === 1) {
        const text = payload.toString('utf8');
        socket.write(frame(1, Buffer.from(JSON.stringify({ type: 'echo', ...who, text, n: ++served }))));
      } else if (opcode === 8) {
        socket.end(frame(8, payload.subarray(0, 2)));
        return;
      } else if (opcode === 9) {
        socket.write(frame(10, payload));
      }
    }
  });
  socket.on('error', () => {});
});

server.listen(0, '127.0.0.1', () => {
  console.log(`upstream: listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
