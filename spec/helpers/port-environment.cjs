// jsdom has no MessageChannel or structuredClone; lend it Node's own so client and hub talk over real,
// asynchronous ports in unit tests, and setImmediate to wait until the ports' queued messages are delivered.
const { TestEnvironment } = require('jest-environment-jsdom');
const { MessageChannel, MessagePort } = require('node:worker_threads');

class PortEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.assign(this.global, { MessageChannel, MessagePort, structuredClone, setImmediate });
  }
}

module.exports = PortEnvironment;
