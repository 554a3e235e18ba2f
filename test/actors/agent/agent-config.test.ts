import t from 'tap'
import { AttributeParseError, defaultAgentResources, parseAttributes, type HostProbe } from '../../../actors/agent/index.js'

const GB = 1024 ** 3
const host = (cpus: number, mem: number, disk: number): HostProbe => ({ cpus: () => cpus, memoryBytes: () => mem, diskBytes: () => disk })
const byName = (rs: ReturnType<typeof defaultAgentResources>) => Object.fromEntries(rs.map(r => [r.name, r.scalar?.value ?? r.ranges]))

t.test('defaults follow Mesos: cores, memory - 1 GB, disk - 5 GB, ports 31000-32000', async t => {
  t.same(byName(defaultAgentResources('/tmp', '', host(8, 16 * GB, 100 * GB))), { cpus: 8, mem: 15 * 1024, disk: 95 * 1024, ports: { range: [{ begin: 31000, end: 32000 }] } })
  t.match(byName(defaultAgentResources('/tmp', '', host(1, 1 * GB, 8 * GB))), { mem: 512, disk: 4 * 1024 }, 'half of small memory and disk')
  t.match(byName(defaultAgentResources('/tmp', 'cpus:2;mem:2300', host(8, 16 * GB, 100 * GB))), { cpus: 2, mem: 2300, disk: 95 * 1024 }, 'given resources win')
  const failing: HostProbe = { cpus: () => { throw new Error('x') }, memoryBytes: () => { throw new Error('x') }, diskBytes: () => { throw new Error('x') } }
  t.match(byName(defaultAgentResources('/nonexistent', '', failing)), { cpus: 1, mem: 1024, disk: 10 * 1024 }, "Mesos's fallbacks")
})

t.test('attributes: text, scalar, ranges, set', async t => {
  t.same(parseAttributes('rack:r1;zone:z2;cores:8;ports:[1-10,20-30];zones:{a,b}'), [
    { name: 'rack', type: 'TEXT', text: { value: 'r1' } },
    { name: 'zone', type: 'TEXT', text: { value: 'z2' } },
    { name: 'cores', type: 'SCALAR', scalar: { value: 8 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 10 }, { begin: 20, end: 30 }] } },
    { name: 'zones', type: 'SET', set: { item: ['a', 'b'] } },
  ])
  t.throws(() => parseAttributes('rack'), AttributeParseError)
  t.throws(() => parseAttributes('ports:[1-x]'), /not a range/)
})
