// The reference ATProto network for plyr's tests and `plyr dev`: an in-memory PLC directory
// and a PDS (SQLite, disk blobs) from @atproto/dev-env, on loopback, offline.
//
// Environment:
//   PLC_PORT, PDS_PORT     ports to listen on
//   PDS_EXTRA              JSON merged into the PDS config (e.g. {"hostname":"pds.test"})
//   LEXICON_FILES          comma-separated lexicon JSON files published on a lexicon
//                          authority account (lexicons.test), so `include:` scopes resolve
//   DEMO_ACCOUNTS          comma-separated handle:password accounts to create
//   CONTROL_PORT           optional: a control endpoint, POST /fetch-map {"host","target"}
//                          routes the PDS's own fetches for host (client metadata of a
//                          confidential client) to target, e.g. http://localhost:8097
//
// Prints one JSON line {"event":"ready",...} when up; SIGTERM or SIGINT stops it.
import fs from 'node:fs'
import http from 'node:http'
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { AtpAgent } from '@atproto/api'

const started = Date.now()
const plcPort = Number(process.env.PLC_PORT || 2582)
const pdsPort = Number(process.env.PDS_PORT || 2583)
const pdsExtra = process.env.PDS_EXTRA ? JSON.parse(process.env.PDS_EXTRA) : {}

// Outbound fetches of the PDS for mapped hosts go to local servers instead. Only hostnames
// can be mapped: the oauth-provider refuses client_id URLs with IP hosts.
const fetchMap = new Map()
const realFetch = globalThis.fetch
globalThis.fetch = function (input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input))
  const target = fetchMap.get(url.host)
  if (target) {
    const t = new URL(target)
    url.protocol = t.protocol
    url.host = t.host
    input = input instanceof Request ? new Request(url, input) : url
  }
  return realFetch.call(this, input, init)
}

const net = await TestNetworkNoAppView.create({
  plc: { port: plcPort },
  pds: { port: pdsPort, ...pdsExtra },
})

// Permission sets live as com.atproto.lexicon.schema records on an authority account; the
// PDS is told that account is the authority for every NSID, so no DNS is needed.
const lexicons = new AtpAgent({ service: net.pds.url })
await lexicons.createAccount({ handle: 'lexicons.test', email: 'lexicons@plyr.invalid', password: 'lexicons-pass' })
const authority = lexicons.session.did
for (const file of (process.env.LEXICON_FILES || '').split(',').filter(Boolean)) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'))
  await lexicons.com.atproto.repo.putRecord({
    repo: authority,
    collection: 'com.atproto.lexicon.schema',
    rkey: doc.id,
    record: { $type: 'com.atproto.lexicon.schema', ...doc },
  })
}
net.pds.ctx.cfg.lexicon.didAuthority = authority

const demo = []
for (const entry of (process.env.DEMO_ACCOUNTS || '').split(',').filter(Boolean)) {
  const [handle, password] = entry.split(':')
  const agent = new AtpAgent({ service: net.pds.url })
  await agent.createAccount({ handle, email: `${handle}@plyr.invalid`, password })
  demo.push({ handle, did: agent.session.did, password })
}

let control
if (process.env.CONTROL_PORT) {
  control = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/fetch-map') {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        const { host, target } = JSON.parse(body)
        if (target) fetchMap.set(host, target)
        else fetchMap.delete(host)
        res.writeHead(204).end()
      })
      return
    }
    res.writeHead(404).end()
  })
  await new Promise((resolve) => control.listen(Number(process.env.CONTROL_PORT), '127.0.0.1', resolve))
}

console.log(JSON.stringify({
  event: 'ready',
  ms: Date.now() - started,
  plc: net.plc.url,
  pds: net.pds.url,
  issuer: net.pds.ctx.cfg.oauth?.issuer,
  lexiconAuthority: authority,
  adminPassword: net.pds.ctx.cfg.service.adminPassword ?? 'admin-pass',
  demo,
}))

const stop = async () => {
  control?.close()
  await net.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
