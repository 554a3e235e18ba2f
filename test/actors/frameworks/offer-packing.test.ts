import t from 'tap'
import { fromJson, parseResources, formatResources } from '../../../actors/resources/index.js'
import { packTasks, takeResources } from '../../../actors/frameworks/index.js'

const offered = (text: string, role = '*') => parseResources(text).allocate(role)

t.test('takes what a task needs and keeps the offer allocation', async t => {
  const got = takeResources(offered('cpus:4;mem:1024;disk:100'), parseResources('cpus:1;mem:128'), '*')
  t.ok(got)
  t.equal(formatResources(got!.unallocate()), 'cpus:1;mem:128')
  t.same([...got!].map(r => r.allocationRole), ['*', '*'])
})

t.test('does not fit: undefined', async t => {
  t.equal(takeResources(offered('cpus:0.5;mem:1024'), parseResources('cpus:1;mem:128'), '*'), undefined)
  t.equal(takeResources(offered('cpus:4'), parseResources('cpus:1;mem:128'), '*'), undefined, 'a resource the offer lacks')
})

t.test("the role's reservation first, then unreserved; other roles' reservations never", async t => {
  const av = parseResources('cpus(web):0.5;cpus(batch):0.25;cpus:4;mem:512').allocate('web')
  const got = takeResources(av, parseResources('cpus:1;mem:128'), 'web')!
  t.equal(formatResources(got.unallocate()), 'cpus(web):0.5;cpus:0.5;mem:128')
  t.equal(takeResources(parseResources('cpus(batch):4;mem:512').allocate('web'), parseResources('cpus:1;mem:128'), 'web'), undefined)
  t.ok(takeResources(parseResources('cpus(web):1;mem(web):128').allocate('web'), parseResources('cpus(web):1;mem(web):128'), 'web'), 'a reserved need from that reservation')
  t.equal(takeResources(offered('cpus:4;mem:512', 'web'), parseResources('cpus(web):1'), 'web'), undefined, 'but not from unreserved')
})

t.test('ranges and sets come from one entry', async t => {
  const av = offered('cpus:4;ports:[31000-31010];zones:{a,b}')
  t.equal(formatResources(takeResources(av, parseResources('ports:[31005-31006];zones:{a}'), '*')!.unallocate()), 'ports:[31005-31006];zones:{a}')
  t.equal(takeResources(av, parseResources('ports:[30000-30000]'), '*'), undefined)
})

t.test('packTasks cuts as many as fit, up to max', async t => {
  const need = parseResources('cpus:1;mem:128')
  t.equal(packTasks(offered('cpus:3.5;mem:1024'), need, '*', Infinity).pieces.length, 3)
  const { pieces, left } = packTasks(offered('cpus:3.5;mem:1024'), need, '*', 2)
  t.equal(pieces.length, 2)
  t.equal(formatResources(left.unallocate()), 'cpus:1.5;mem:768')
  t.equal(packTasks(offered('cpus:4'), parseResources(''), '*', Infinity).pieces.length, 0, 'an empty need fits nothing')
  t.equal(packTasks(fromJson([]), need, '*', 5).pieces.length, 0)
})
