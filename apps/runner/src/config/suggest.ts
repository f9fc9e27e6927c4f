export { didYouMean } from '@qcs-export/core';
