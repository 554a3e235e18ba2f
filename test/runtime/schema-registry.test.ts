import t from 'tap'
import { Type } from '@sinclair/typebox'
import { SchemaRegistry, ValidationError } from '../../runtime/index.js'

t.test('checks bodies against the compiled schema, naming path and reason', async t => {
  const reg = new SchemaRegistry()
  const Launch = Type.Object({ task: Type.Object({ name: Type.String(), cpus: Type.Number({ minimum: 0 }) }) })
  reg.register('Launch', Launch)
  t.equal(reg.check('Launch', { task: { name: 'a', cpus: 1 } }), undefined)
  const wrong = reg.check('Launch', { task: { name: 'a', cpus: 'many' } })
  t.type(wrong, ValidationError)
  t.equal(wrong?.path, '/task/cpus')
  t.match(wrong?.message, /invalid Launch: \/task\/cpus Expected number/)
  const missing = reg.check('Launch', { task: { cpus: 1 } })
  t.equal(missing?.path, '/task/name')
  const unknown = reg.check('Nope', {})
  t.match(unknown?.message, /unknown message type/)
  t.throws(() => reg.assert('Launch', {}), ValidationError)
})

t.test('a type registered twice with another schema is a programming error', async t => {
  const reg = new SchemaRegistry()
  const A = Type.Object({})
  reg.register('A', A)
  reg.register('A', A)
  t.throws(() => reg.register('A', Type.Object({ x: Type.String() })), /registered twice/)
  reg.registerAll({ B: Type.String(), C: Type.Number() })
  t.same(reg.types().sort(), ['A', 'B', 'C'])
})
