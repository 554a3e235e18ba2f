import t from 'tap'
import { formatMasterAddress, parseMasterAddress, parseNatsUrl } from '../../../cluster/config/master-address.js'

t.test('host:port, as in the seed', async (t) => {
  t.same(parseMasterAddress('master:5050'), { kind: 'http', host: 'master', port: 5050 })
  t.same(parseMasterAddress('192.168.2.100:5050'), { kind: 'http', host: '192.168.2.100', port: 5050 })
  t.same(parseMasterAddress('[::1]:5050'), { kind: 'http', host: '::1', port: 5050 })
  t.equal(formatMasterAddress(parseMasterAddress('[::1]:5050')), '[::1]:5050')
  t.equal(formatMasterAddress(parseMasterAddress('master:5050')), 'master:5050')
})

t.test('NATS URLs, one or several', async (t) => {
  t.same(parseMasterAddress('nats://m1:4222'), { kind: 'nats', servers: ['nats://m1:4222'] })
  const several = parseMasterAddress('nats://m1:4222, tls://m2:4222,ws://m3:8080')
  t.same(several, { kind: 'nats', servers: ['nats://m1:4222', 'tls://m2:4222', 'ws://m3:8080'] })
  t.equal(formatMasterAddress(several), 'nats://m1:4222,tls://m2:4222,ws://m3:8080')
  t.equal(parseNatsUrl('nats://user:pw@h:4222'), 'nats://user:pw@h:4222')
})

t.test('what is rejected, and why', async (t) => {
  t.throws(() => parseMasterAddress('zk://zk1:2181/mesos'), { name: 'ValueError', reason: /not ZooKeeper/ })
  t.throws(() => parseMasterAddress('master'), { name: 'ValueError', reason: 'the port is missing', suggestion: 'master:5050' })
  t.throws(() => parseMasterAddress('master:0'), { name: 'ValueError', reason: 'the port must be 1-65535' })
  t.throws(() => parseMasterAddress('master:70000'), { name: 'ValueError', reason: 'the port must be 1-65535' })
  t.throws(() => parseMasterAddress('bad host:5050'), { name: 'ValueError' })
  t.throws(() => parseMasterAddress(':5050'), { name: 'ValueError' })
  t.throws(() => parseMasterAddress('http://master:5050'), { name: 'ValueError', reason: /unsupported scheme 'http:'/ })
  t.throws(() => parseMasterAddress('nats://'), { name: 'ValueError' })
  t.throws(() => parseMasterAddress(' , '), { name: 'ValueError' })
})
