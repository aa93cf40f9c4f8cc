// What the ground process makes of each message: validated documents by topic, rejections with a reason and a safe
// excerpt (never a result), and topics it acknowledges without storing.
import { describe, expect, test } from 'vitest';
import { decodeMessage } from '../../src/ground/decode-message.js';
import { groundTopics } from '../../src/ground/ground-topics.js';
import { groundResult, sampleFlight, sampleHealth } from './ground-samples.js';

const ctx = { layout: groundTopics('fieldeye/v1/{droneId}/'), excerptChars: 20 };
const at = '2024-05-01T10:00:00.000Z';
const decode = (topic: string, payload: string | Buffer) => decodeMessage(ctx, topic, Buffer.from(payload), at);

describe('decodeMessage', () => {
  test('valid result, health, flight and status documents by topic', () => {
    const result = groundResult('d1', 'f1', 3);
    expect(decode('fieldeye/v1/d1/result', JSON.stringify(result))).toEqual({ kind: 'result', topic: 'fieldeye/v1/d1/result', receivedAt: at, result });
    expect(decode('fieldeye/v1/d1/health', JSON.stringify(sampleHealth('d1', 'f1', at))).kind).toBe('health');
    expect(decode('fieldeye/v1/d1/flight', JSON.stringify(sampleFlight('d1', 'f1'))).kind).toBe('flight');
    expect(decode('fieldeye/v1/d1/status', 'offline')).toMatchObject({ kind: 'status', droneId: 'd1', status: 'offline' });
  });

  test('malformed payloads are rejected with the reason and a truncated, escaped excerpt', () => {
    const bad = decode('fieldeye/v1/d1/result', '{"seq": 1, \u0007 this is not json at all');
    expect(bad.kind).toBe('rejected');
    if (bad.kind !== 'rejected') return;
    expect(bad.rejected.reason).toMatch(/^result: not JSON \(/);
    expect(bad.rejected.excerpt).toBe('{"seq": 1, \\u0007 this is…');
    expect(bad.rejected.payloadBytes).toBe(36);
    expect(bad.rejected.payloadSha256).toMatch(/^[0-9a-f]{64}$/);
    const wrong = decode('fieldeye/v1/d1/result', JSON.stringify({ ...groundResult('d1', 'f1', 0), seq: 1.5, top: [] }));
    expect(wrong.kind === 'rejected' && wrong.rejected.reason).toMatch(/^result: does not match the result schema: seq: .*; top: /);
    expect(decode('fieldeye/v1/d1/status', 'maybe')).toMatchObject({
      kind: 'rejected',
      rejected: { reason: 'status: expected the text "online" or "offline"' },
    });
    expect(decode('fieldeye/v1/d1/result', '')).toMatchObject({ kind: 'rejected' });
  });

  test('a payload naming another drone than its topic is rejected: the topic is what the broker authenticated', () => {
    const r = decode('fieldeye/v1/d1/result', JSON.stringify(groundResult('d2', 'f1', 0)));
    expect(r.kind === 'rejected' && r.rejected.reason).toBe('result: droneId "d2" in the payload is not the topic\'s drone "d1"');
  });

  test('thumbnails, cleared retained topics and foreign topics are acknowledged, not stored', () => {
    expect(decode('fieldeye/v1/d1/thumb/12', Buffer.from([0xff, 0xd8]))).toMatchObject({ kind: 'ignored' });
    // The end-of-flight coverage is the crew's, not a malformed flight document.
    expect(decode('fieldeye/v1/d1/coverage', Buffer.from('{"schemaVersion":1}'))).toMatchObject({
      kind: 'ignored',
      why: expect.stringMatching(/^coverage documents are not stored/),
    });
    expect(decode('fieldeye/v1/d1/flight', '')).toMatchObject({ kind: 'ignored', why: 'retained message cleared' });
    expect(decode('fieldeye/v1/d1/preflight', '{}')).toMatchObject({ kind: 'ignored' });
    expect(decode('fieldeye/v1/bad+id/result', '{}')).toMatchObject({ kind: 'ignored' });
    expect(decode('other/v1/d1/result', '{}')).toMatchObject({ kind: 'ignored', why: 'outside the topic prefix' });
  });
});

test('the topic prefix needs "{droneId}" as one whole level, and names the key when it has not', () => {
  expect(groundTopics('fieldeye/v1/{droneId}/').filter).toBe('fieldeye/v1/+/#');
  expect(groundTopics('{droneId}/fe/').filter).toBe('+/fe/#');
  for (const bad of ['fieldeye/v1/', 'fieldeye/v1/x{droneId}/', 'a/{droneId}/{droneId}/']) {
    expect(() => groundTopics(bad)).toThrow(/^broker\.topicPrefix: expected the drones' topic prefix with "\{droneId\}" once as a whole level/);
  }
});
