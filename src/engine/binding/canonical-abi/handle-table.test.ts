import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FunctionType, primitive, type ResourceType } from '../value-types.ts';
import { liftExport, lowerImport } from './compile.ts';
import { ComponentInstanceState, LiftLowerContext } from './context.ts';
import { GuestMemory } from './guest-memory.ts';
import { ErrorContext, HandleKind } from './handle-table.ts';
import { resourceDrop, resourceNew, resourceRep } from './resource-builtins.ts';
import { CanonicalAbiTrap } from './trap.ts';
import { GuestResource } from './values.ts';

const host: ResourceType = { kind: 'resource', name: 'test:t/types#host-thing', imported: true };
const mine: ResourceType = { kind: 'resource', name: 'widget', imported: false };

describe('handle table', () => {
  test('index 0 is never handed out; freed indices are reused, most recent first', () => {
    const { handles } = new ComponentInstanceState();
    const a = handles.addOwn(host, 'a');
    const b = handles.addOwn(host, 'b');
    const c = handles.addOwn(host, 'c');
    assert.deepEqual([a, b, c], [1, 2, 3]);
    handles.resourceDrop(a, host);
    handles.resourceDrop(c, host);
    assert.equal(handles.addOwn(host, 'd'), 3);
    assert.equal(handles.addOwn(host, 'e'), 1);
    assert.equal(handles.addOwn(host, 'f'), 4);
    assert.equal(handles.size, 4);
    assert.deepEqual(
      [...handles.entries()].map((x) => x.rep),
      ['e', 'b', 'd', 'f'],
    );
  });

  test('resources and error contexts share one table, told apart by kind', () => {
    const { handles } = new ComponentInstanceState();
    const r = handles.addOwn(host, {});
    const e = handles.addErrorContext(new ErrorContext('boom'));
    assert.equal(e, r + 1);
    assert.equal(handles.errorContext(e).debugMessage, 'boom');
    assert.throws(() => handles.errorContext(r), CanonicalAbiTrap);
    assert.throws(() => handles.resourceRep(e, host), CanonicalAbiTrap);
    assert.equal(handles.kind[e], HandleKind.errorContext);
  });

  test('a snapshot restores the table exactly, any number of times', () => {
    const state = new ComponentInstanceState();
    state.handles.addOwn(host, 'kept');
    const snap = state.snapshot();
    for (let round = 0; round < 3; round++) {
      state.handles.addOwn(host, 'later');
      state.handles.resourceDrop(1, host);
      state.mayEnter = false;
      state.restore(snap);
      assert.equal(state.mayEnter, true);
      assert.deepEqual(
        [...state.handles.entries()].map((x) => [x.index, x.rep]),
        [[1, 'kept']],
      );
      assert.equal(state.handles.addOwn(host, 'next'), 2);
      state.restore(snap);
    }
  });
});

describe('resources defined by the guest', () => {
  test('resource.new, resource.rep and resource.drop with its destructor', () => {
    const state = new ComponentInstanceState();
    const dropped: unknown[] = [];
    const h = resourceNew(state, mine)(42);
    assert.equal(resourceRep(state, mine)(h), 42);
    const other: ResourceType = { kind: 'resource', name: 'gadget', imported: false };
    assert.throws(() => resourceRep(state, other)(h), CanonicalAbiTrap);
    assert.throws(() => resourceRep(state, host), TypeError);
    resourceDrop(state, mine, (rep) => dropped.push(rep))(h);
    assert.deepEqual(dropped, [42]);
    assert.throws(() => resourceNew(state, host), TypeError);
  });

  test('the host holds them as GuestResource values: an own is consumed when passed back', () => {
    const state = new ComponentInstanceState();
    const cx = new LiftLowerContext(state, {
      memory: new GuestMemory(new WebAssembly.Memory({ initial: 1 })),
    });
    const make: FunctionType = { params: [], result: { kind: 'own', resource: mine }, async: false };
    const give: FunctionType = {
      params: [{ name: 'w', type: { kind: 'own', resource: mine } }],
      result: undefined,
      async: false,
    };
    const peek: FunctionType = {
      params: [{ name: 'w', type: { kind: 'borrow', resource: mine } }],
      result: primitive('u32'),
      async: false,
    };
    const newHandle = resourceNew(state, mine);
    const created = liftExport(make, { cx, callee: () => newHandle(7) })() as GuestResource;
    assert.ok(created instanceof GuestResource);
    assert.deepEqual([created.rep, created.own, state.handles.size], [7, true, 0]);
    // A borrow of the guest's own resource arrives in the guest as the bare rep.
    assert.equal(liftExport(peek, { cx, callee: (rep: number) => rep * 2 })(created), 14);
    let handle = -1;
    liftExport(give, { cx, callee: (h: number) => (handle = h) })(created);
    assert.equal(resourceRep(state, mine)(handle), 7);
    assert.throws(() => liftExport(give, { cx, callee: () => undefined })(created), TypeError);
    // Lifted by a host import, a borrowed one is lent for the call.
    const seen: GuestResource[] = [];
    lowerImport(peek, { cx, callee: (w: GuestResource) => seen.push(w) })(handle);
    assert.deepEqual([seen[0]?.rep, seen[0]?.own], [7, false]);
    assert.equal(state.handles.lends[handle], 0);
  });
});
