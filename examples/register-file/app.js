// An app that knows nothing about metrics: started with
// `node --import ./examples/register-file/register.js examples/register-file/app.js` (app on PORT, default 3000).
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const user = /^\/users\/([^/]+)$/.exec(req.url ?? '');
  if (user) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: user[1] }));
  else res.writeHead(404).end('not found');
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`app:     http://127.0.0.1:${server.address().port}/users/42`);
});
