export { contractCases, publishContractCases, runSinkContract, type SinkContractHarness, type SinkUnderTest } from './contract.js';
export { deepFreeze, makeRunContext, makeTestFinding, makeTestPackage, makeTestRecords } from './records.js';
export { createRandom, HOSTILE_VALUES } from '@qcs-export/test-fixtures';
export { fileSnapshot, obstructPublish } from './file-destination.js';
