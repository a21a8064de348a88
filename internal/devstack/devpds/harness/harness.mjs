// The reference ATProto network for plyr's tests and `plyr dev`: an in-memory PLC directory
// and a PDS (SQLite, disk blobs) from @atproto/dev-env, on loopback, offline.
//
// Environment:
//   PLC_PORT, PDS_PORT     ports to listen on
//   PDS_EXTRA              JSON merged into the PDS config (e.g. {"hostname":"pds.test"})
//   LEXICON_FILES          comma-separated lexicon JSON files published on a lexicon
//                          authority account (lexicons.test), so `include:` scopes resolve
//   DEMO_ACCOUNTS          comma-separated handle:password accounts to create
//   CONTROL_PORT           optional: a control endpoint on 127.0.0.1 for the tests:
//     POST /fetch-map {"host","target"}   routes the PDS's own fetches for host (client
//                          metadata of a confidential client) to target, e.g.
//                          http://localhost:8097; an empty target removes the route
//     POST /did-doc {"did","service":[{"id","type","serviceEndpoint"}]}   makes did (a
//                          did:web the tests invent, e.g. a fake chat service the PDS
//                          proxies to with Atproto-Proxy: <did>#bsky_chat) resolve, for the
//                          PDS, to a DID document with these services; an empty service
//                          list removes it. Every other DID resolves as before.
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

// DID documents registered through the control endpoint. The PDS resolves a DID (e.g. the
// service named in an Atproto-Proxy header) through its resolver's resolveNoCache, behind
// its DID cache; registered DIDs are answered from here and their cache entries are cleared
// whenever they change.
const didDocs = new Map()
const didResolver = net.pds.ctx.idResolver.did
const realResolveNoCache = didResolver.resolveNoCache
didResolver.resolveNoCache = function (did) {
  const doc = didDocs.get(did)
  if (doc) return Promise.resolve(doc)
  return realResolveNoCache.call(this, did)
}

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
  const routes = {
    '/fetch-map': async ({ host, target }) => {
      if (target) fetchMap.set(host, target)
      else fetchMap.delete(host)
    },
    '/did-doc': async ({ did, service }) => {
      if (typeof did !== 'string' || !did.startsWith('did:')) throw new Error('did must be a DID')
      if (service?.length) {
        didDocs.set(did, { '@context': ['https://www.w3.org/ns/did/v1'], id: did, service })
      } else {
        didDocs.delete(did)
      }
      await didResolver.cache?.clearEntry(did)
    },
  }
  control = http.createServer((req, res) => {
    const route = req.method === 'POST' && routes[req.url]
    if (!route) {
      res.writeHead(404).end()
      return
    }
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', async () => {
      try {
        await route(JSON.parse(body))
        res.writeHead(204).end()
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err?.message ?? err))
      }
    })
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
