// jsdom has no MessageChannel or structuredClone; lend it Node's own so client and hub talk over real,
// asynchronous ports in unit tests.
const { TestEnvironment } = require('jest-environment-jsdom');
const { MessageChannel, MessagePort } = require('node:worker_threads');

class PortEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.assign(this.global, { MessageChannel, MessagePort, structuredClone });
  }
}

module.exports = PortEnvironment;
