/**
 * Domain-name helpers for DNS/SNI analytics: registered domain (eTLD+1 approximation), label
 * entropy and a "random-looking" score for DGA detection. No public-suffix list download: a
 * short built-in list of multi-label suffixes covers the common cases; config can add more.
 */

const MULTI_SUFFIXES = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'nhs.uk', 'me.uk', 'net.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au',
  'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'co.kr', 'or.kr',
  'com.br', 'com.cn', 'net.cn', 'org.cn', 'com.tr', 'com.mx', 'com.ar', 'co.in', 'co.nz', 'co.za',
  'com.sg', 'com.hk', 'com.tw', 'com.pl', 'gv.at', 'co.at', 'or.at', 'ac.at',
  // hosting / dynamic-DNS suffixes where each customer owns the next label
  'cloudfront.net', 'amazonaws.com', 'azurewebsites.net', 'blob.core.windows.net', 'herokuapp.com',
  'github.io', 'duckdns.org', 'no-ip.org', 'ddns.net', 'dyndns.org', 'trafficmanager.net',
]);

/** Lower-case, strip a trailing dot. */
export function normName(name: string): string {
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n;
}

/** Registered domain of `name` ("a.b.example.co.uk" → "example.co.uk"). */
export function registeredDomain(name: string, extraSuffixes?: ReadonlySet<string>): string {
  const n = normName(name);
  const parts = n.split('.');
  if (parts.length <= 2) return n;
  // longest matching suffix of up to 4 labels
  for (let k = Math.min(4, parts.length - 1); k >= 2; k--) {
    const suf = parts.slice(parts.length - k).join('.');
    if (MULTI_SUFFIXES.has(suf) || extraSuffixes?.has(suf)) {
      return parts.slice(parts.length - k - 1).join('.');
    }
  }
  return parts.slice(parts.length - 2).join('.');
}

/** Subdomain part left of the registered domain ('' if none). */
export function subdomainOf(name: string, reg: string): string {
  const n = normName(name);
  if (n.length <= reg.length) return '';
  return n.slice(0, n.length - reg.length - 1);
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const VOWELS = new Set([97, 101, 105, 111, 117, 121]);

/**
 * How random a registered domain's first label looks (0..1): long labels with high entropy, few
 * vowels, long consonant runs or mixed digits score high; dictionary-like names ("stmarys",
 * "healthcloud") score low. Good enough to separate DGA NXDOMAIN bursts from typos and
 * search-suffix misses; not a classifier.
 */
export function randomness(label: string): number {
  const s = label.toLowerCase();
  if (s.length < 7) return 0;
  let vowels = 0;
  let digits = 0;
  let run = 0;
  let maxRun = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      run = 0;
    } else if (VOWELS.has(c)) {
      vowels++;
      run = 0;
    } else if (c >= 97 && c <= 122) {
      run++;
      if (run > maxRun) maxRun = run;
    } else {
      run = 0;
    }
  }
  const letters = s.length - digits;
  const vowelRatio = letters > 0 ? vowels / letters : 0;
  let score = 0;
  const h = entropy(s);
  if (h >= 3.0) score += 0.35;
  if (h >= 3.5) score += 0.15;
  if (vowelRatio < 0.28) score += 0.25;
  if (maxRun >= 4) score += 0.15;
  if (digits > 0 && letters > 0 && digits / s.length > 0.15) score += 0.15;
  if (s.length >= 12) score += 0.1;
  return Math.min(1, score);
}
