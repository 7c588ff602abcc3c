import { describe, expect, it } from 'vitest';
import { parseChildMessage } from './protocol.ts';

describe('parseChildMessage', () => {
  it('reads each kind of message', () => {
    expect(parseChildMessage('{"kind":"ready","protocol":1,"types":["embed"]}')).toEqual({
      kind: 'ready',
      protocol: 1,
      types: ['embed'],
    });
    expect(parseChildMessage('{"kind":"progress","id":"j","fraction":0.5}')).toMatchObject({ fraction: 0.5 });
    expect(parseChildMessage('{"kind":"log","id":"j","level":"warning","message":"m"}')).toMatchObject({
      level: 'warning',
    });
    expect(parseChildMessage('{"kind":"result","id":"j","value":null}')).toEqual({
      kind: 'result',
      id: 'j',
      value: null,
    });
    expect(
      parseChildMessage('{"kind":"error","id":"j","name":"ValueError","message":"m","retryable":true}'),
    ).toMatchObject({ name: 'ValueError', retryable: true });
  });

  it.each([
    ['not JSON', 'Loading model...'],
    ['JSON that is no message', '[1,2]'],
    ['an unknown kind', '{"kind":"hello","id":"j"}'],
    ['a message missing a field', '{"kind":"result","value":1}'],
    ['an unknown log level', '{"kind":"log","id":"j","level":"fatal","message":"m"}'],
    ['a field of the wrong type', '{"kind":"error","id":"j","name":"E","message":"m","retryable":"no"}'],
  ])('refuses %s', (_, line) => {
    expect(parseChildMessage(line)).toBeUndefined();
  });
});
