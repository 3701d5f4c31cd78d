import type { LegalFormCode } from '../model/canonical.js';
import { cleanText, normalizeQuotes } from './text.js';

/**
 * Legal form (ОПФ) in a company name, short or long, anywhere in the name:
 * 'ООО  "Ромашка" ', 'Ромашка, ООО', 'Общество с ограниченной ответственностью «Ромашка»'
 * → { legalForm: 'OOO', name: 'Ромашка' }. The name keeps its own case and inner quotes.
 */
export interface LegalFormResult {
  legalForm?: LegalFormCode;
  /** The name without the form and the quotes around what is left. */
  name: string;
}

// Longer phrases first so that "публичное акционерное общество" wins over "акционерное общество".
const FORMS: Array<[LegalFormCode, string[]]> = [
  ['OOO', ['общество с ограниченной ответственностью', 'ооо', 'ooo', 'o.o.o.', 'о.о.о.']],
  ['PAO', ['публичное акционерное общество', 'пао']],
  ['ZAO', ['закрытое акционерное общество', 'зао']],
  ['OAO', ['открытое акционерное общество', 'оао']],
  ['AO', ['непубличное акционерное общество', 'акционерное общество', 'нао', 'ао']],
  [
    'NKO',
    [
      'автономная некоммерческая организация',
      'некоммерческая организация',
      'некоммерческое партнерство',
      'ано',
      'нко',
      'нп',
    ],
  ],
  ['IP', ['индивидуальный предприниматель', 'ип', 'и.п.']],
  [
    'GUP',
    ['федеральное государственное унитарное предприятие', 'государственное унитарное предприятие', 'фгуп', 'гуп'],
  ],
  ['MUP', ['муниципальное унитарное предприятие', 'муп']],
  [
    'KFH',
    [
      'глава крестьянского (фермерского) хозяйства',
      'крестьянское (фермерское) хозяйство',
      'крестьянское фермерское хозяйство',
      'глава кфх',
      'кфх',
    ],
  ],
  [
    'OTHER',
    [
      'общество с дополнительной ответственностью',
      'производственный кооператив',
      'сельскохозяйственный производственный кооператив',
      'товарищество собственников жилья',
      'одо',
      'спк',
      'тсж',
    ],
  ],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// A form counts only as a whole word: no letter or digit directly before or after it.
const PATTERNS = FORMS.flatMap(([code, spellings]) => spellings.map((sp) => ({ code, sp })))
  .sort((a, b) => b.sp.length - a.sp.length)
  .map(({ code, sp }) => ({
    code,
    re: new RegExp(
      `(?<![\\p{L}\\p{N}])${escape(sp).replace(/ /g, '\\s+').replace(/ё|е/g, '[её]')}(?![\\p{L}\\p{N}])`,
      'iu',
    ),
  }));

const EDGE_PUNCT = /^[\s,;:.\-–—]+|[\s,;:\-–—]+$/gu;

/** Outer quotes of what is left; inner pairs ('Фирма "Ромашка"') stay, a lone unmatched one goes. */
function stripQuotes(s: string): string {
  let out = s.trim();
  while (out.length >= 2 && out.startsWith('"') && out.endsWith('"')) out = out.slice(1, -1).trim();
  if (out.startsWith('"') && !out.slice(1).includes('"')) out = out.slice(1).trim();
  if (out.endsWith('"') && !out.slice(0, -1).includes('"')) out = out.slice(0, -1).trim();
  const count = out.split('"').length - 1;
  if (count % 2 === 1) out = out.replace(/"(?=[^"]*$)/u, '').trim(); // drop the unmatched last one
  return out;
}

export function extractLegalForm(raw: string): LegalFormResult {
  const text = normalizeQuotes(cleanText(raw));
  for (const { code, re } of PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    const rest = (text.slice(0, m.index) + ' ' + text.slice(m.index + m[0].length)).replace(/\s+/gu, ' ');
    const name = stripQuotes(rest.replace(EDGE_PUNCT, ''));
    // 'ООО' alone is not a name: keep the original rather than an empty one.
    return name === '' ? { legalForm: code, name: stripQuotes(text) } : { legalForm: code, name };
  }
  return { name: stripQuotes(text) };
}
