// The Guacamole webapp's stand-in, run on the gateway's loopback by the node binary the test
// copies in (the test host has no node): HTTP answers describe the request (method, path,
// headers, body size), and WebSockets on <path>websocket-tunnel greet, echo, and push on request
// ("push-in:<ms>": the server sends "push" by itself after that long a silence).
import http from 'node:http';
import { WebSocketServer } from 'ws';

const [port = '8080', path = '/guacamole/'] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  let bodyBytes = 0;
  req.on('data', (chunk) => (bodyBytes += chunk.length));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyBytes }));
  });
});
const wss = new WebSocketServer({ server, path: `${path}websocket-tunnel` });
wss.on('connection', (ws, req) => {
  ws.send(`hello ${req.headers['x-forwarded-for']}`);
  ws.on('message', (data) => {
    const text = data.toString();
    const push = /^push-in:(\d+)$/.exec(text);
    if (push) setTimeout(() => ws.send('push'), Number(push[1]));
    else ws.send(`echo:${text}`);
  });
});
server.listen(Number(port), '127.0.0.1');
