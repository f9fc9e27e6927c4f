/**
 * Qualys' shared cloud platforms and the API gateway of each, as Qualys' platform identification page lists them
 * (and as qualysdk and QScanner's `--pod` pick them). A private cloud platform has its own URL: `baseUrl` covers it.
 */
export const QUALYS_PLATFORMS = {
  US1: 'https://gateway.qg1.apps.qualys.com',
  US2: 'https://gateway.qg2.apps.qualys.com',
  US3: 'https://gateway.qg3.apps.qualys.com',
  US4: 'https://gateway.qg4.apps.qualys.com',
  EU1: 'https://gateway.qg1.apps.qualys.eu',
  EU2: 'https://gateway.qg2.apps.qualys.eu',
  EU3: 'https://gateway.qg3.apps.qualys.it',
  IN1: 'https://gateway.qg1.apps.qualys.in',
  CA1: 'https://gateway.qg1.apps.qualys.ca',
  AE1: 'https://gateway.qg1.apps.qualys.ae',
  UK1: 'https://gateway.qg1.apps.qualys.co.uk',
  AU1: 'https://gateway.qg1.apps.qualys.com.au',
  KSA1: 'https://gateway.qg1.apps.qualysksa.com',
} as const satisfies Record<string, string>;

export type QualysPlatform = keyof typeof QUALYS_PLATFORMS;

export const QUALYS_PLATFORM_NAMES = Object.keys(QUALYS_PLATFORMS) as [QualysPlatform, ...QualysPlatform[]];
