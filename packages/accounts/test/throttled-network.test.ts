/** What the login throttle counts as one client: IPv4 addresses, and IPv6 /64 networks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { throttledNetwork } from '../src/throttled-network.js';

test('an IPv6 address counts by its /64, however it is spelled', () => {
  const network = '2001:db8:1:2::/64';
  for (const address of [
    '2001:db8:1:2::1',
    '2001:db8:1:2:ffff:ffff:ffff:ffff',
    '2001:0DB8:0001:0002:0000:0000:0000:0009',
    '2001:db8:1:2:a:b:c:d',
  ])
    assert.equal(throttledNetwork(address), network, address);
  assert.equal(throttledNetwork('2001:db8:1:3::1'), '2001:db8:1:3::/64', 'the next /64 is another client');
});

test('IPv4 addresses count as they are, whether or not the socket reports them IPv4-mapped', () => {
  assert.equal(throttledNetwork('192.0.2.7'), '192.0.2.7');
  assert.equal(throttledNetwork('::ffff:192.0.2.7'), '192.0.2.7');
  assert.notEqual(throttledNetwork('192.0.2.8'), throttledNetwork('192.0.2.7'));
});

test('what is not an IP address is used as given', () => {
  assert.equal(throttledNetwork('unknown'), 'unknown');
  assert.equal(throttledNetwork('host.example:80'), 'host.example:80');
});

test('a port a proxy appended (ip:port in X-Forwarded-For) is not a budget of its own', () => {
  assert.equal(throttledNetwork('192.0.2.7:51000'), '192.0.2.7');
  assert.equal(throttledNetwork('192.0.2.7:51001'), throttledNetwork('192.0.2.7'));
  assert.equal(throttledNetwork('[2001:db8:1:2::7]:443'), '2001:db8:1:2::/64');
  assert.equal(throttledNetwork('[2001:db8:1:2::8]'), '2001:db8:1:2::/64');
});
