import { describe, expect, it } from 'vitest';
import { validateAccount, validateCorrAccount } from './account.js';
import { validateBik } from './bik.js';
import { validateInn } from './inn.js';
import { validateKpp } from './kpp.js';
import { validateOgrn } from './ogrn.js';
import { validateOgrnip } from './ogrnip.js';

/*
 * Published test vectors from other validators' own test suites, each list under its source
 * (repo + path). Where a source asserts something our (correct) rule disagrees with, the vector
 * sits in a separate list with the reason — see docs/identifiers.md.
 */

const validInn: Record<string, string[]> = {
  // arthurdejong/python-stdnum tests/test_ru_inn.doctest ("found online")
  'python-stdnum tests/test_ru_inn.doctest': [
    '005826107187',
    '0108003670',
    '0273074555',
    '0279111370',
    '0716007984',
    '5190187770',
    '6223002330',
    '6440019934',
    '6672238301',
    '6903022126',
    '6908012650',
    '6911001698',
    '7609000881',
    '7709442668',
    '7716450028',
    '7724051595',
    '7726485118',
    '7727705694',
    '7728127936',
    '7813045547',
    '7825498171',
    '8614008550',
    '8906008726',
    '8906008740',
  ],
  // arthurdejong/python-stdnum stdnum/ru/inn.py (module doctest)
  'python-stdnum stdnum/ru/inn.py': ['123456789047', '1234567894'],
  // kdmatrosov/validation-codes tests/checkINN.test.js (npm ru-validation-codes)
  'validation-codes tests/checkINN.test.js': [
    '6449013711',
    '3664069397',
    '4205001725',
    '7743880975',
    '300504899258',
    '6447207743',
    '4205036090',
    '4205046123',
    '0660534489',
    '4205060689',
    '3694555299',
    '4205109214',
    '4207003319',
    '4207008719',
    '635277570478',
    '451408304546',
    '079285641150',
    '793970318200',
    '459147066360',
    '722433057002',
    '499918818482',
    '383391302210',
    '9198578814',
  ],
  // koblas/stdnum-js src/ru/inn.spec.ts (npm stdnum)
  'stdnum-js src/ru/inn.spec.ts': ['366220664163'],
  // perevoshchikov/russian-id tests/InnTest.php
  'russian-id tests/InnTest.php': ['500100732259', '7830002293'],
  // sshaplygin/docs-code inn/inn_test.go
  'docs-code inn/inn_test.go': ['7707083893', '526317984689'],
  // asiniy/validates_russian spec/validators/inn_format_validator_spec.rb
  'validates_russian spec/validators/inn_format_validator_spec.rb': [
    '183501166447',
    '341800950695',
    '470313747100',
    '471900124013',
    '503102384852',
    '0274062111',
    '7706633181',
    '7715805253',
    '7714698320',
    '5036032527',
  ],
  // skbkontur/django-ru-validators tests/django_ru_validators/test_validators.py
  'django-ru-validators tests/django_ru_validators/test_validators.py': [
    '9109000140',
    '9204563745',
    '2502039781',
    '2004000870',
    '0103006692',
    '9721072801',
    '773711807351',
    '010403374502',
  ],
  // rin-nas/postgresql-patterns-library functions/is/is_inn10.sql, is_inn12.sql (--TEST blocks)
  'postgresql-patterns-library functions/is/is_inn10.sql + is_inn12.sql': [
    '7725088527',
    '7715034360',
    '773370857141',
    '344809916052',
  ],
  // se-panfilov/jsvat test/acceptance/countries_vat_lists/russia.vat.js ('RU' prefix removed)
  'jsvat test/acceptance/countries_vat_lists/russia.vat.js': [
    '0274051582',
    '2901081545',
    '3665069495',
    '5024051807',
    '5027187066',
    '5249116595',
    '5451110090',
    '7225004092',
    '7701369293',
    '7701370997',
    '7701996907',
    '7701998647',
    '7702070139',
    '7703618107',
    '7705182000',
    '7705205000',
    '7708704085',
    '7710030411',
    '7710401987',
    '7718249396',
    '7723008300',
    '7736050003',
    '7744000398',
    '7744001497',
    '7750004009',
    '9909099353',
    '9909161308',
    '9909235581',
    '9909310782',
  ],
  // python-validators/validators tests/i18n/test_ru.py
  'python-validators tests/i18n/test_ru.py': [
    '2222058686',
    '7709439560',
    '5003052454',
    '7730257499',
    '3664016814',
    '026504247480',
    '780103209220',
    '7707012148',
    '140700989885',
    '774334078053',
  ],
};

const invalidInn: Record<string, Array<[string, string]>> = {
  'python-stdnum stdnum/ru/inn.py': [
    ['123456789037', 'checksum'],
    ['1234567895', 'checksum'],
  ],
  'validation-codes tests/checkINN.test.js': [
    ['234432432', 'length'],
    ['423543534553', 'checksum'],
    ['123455342554321', 'length'],
    ['аыав432ыавыавы', 'non-digit'],
    ['11150уц09301', 'non-digit'],
    ['1110005080', 'checksum'],
    ['4234324324', 'checksum'],
    ['54654645666', 'length'],
    ['1112427095', 'checksum'],
    ['1114327151', 'checksum'],
    ['1111111111', 'checksum'],
  ],
  'stdnum-js src/ru/inn.spec.ts': [
    ['123456789037', 'checksum'],
    ['1234567895', 'checksum'],
  ],
  'russian-id tests/InnTest.php': [
    ['123456789000', 'checksum'],
    ['1234567890', 'checksum'],
    ['0', 'length'],
    ['abcabcabcab1', 'non-digit'],
  ],
  'docs-code inn/inn_test.go': [
    ['12345678', 'length'],
    ['9876543211123', 'length'],
    ['77$7083893', 'non-digit'],
    ['98754321N123', 'non-digit'],
    ['9854132d1123', 'non-digit'],
  ],
  'validates_russian spec/validators/inn_format_validator_spec.rb': [
    ['#ffff', 'non-digit'],
    ['orange-duck', 'non-digit'],
    ['1234567890', 'checksum'],
    ['123456789101', 'checksum'],
    ['', 'empty'],
    [' ', 'non-digit'],
  ],
  'django-ru-validators tests/django_ru_validators/test_validators.py': [
    ['2109000140', 'checksum'],
    ['710403374602', 'checksum'],
  ],
  'postgresql-patterns-library functions/is/is_inn10.sql + is_inn12.sql': [
    ['7725088528', 'checksum'],
    ['7715034361', 'checksum'],
    ['772508852', 'length'],
    ['qwertyuiop', 'non-digit'],
    ['773370857142', 'checksum'],
    ['344809916053', 'checksum'],
    ['77337085714', 'length'],
    ['qwertyuiopas', 'non-digit'],
  ],
  'jsvat test/acceptance/countries_vat_lists/russia.vat.js': [
    ['5027187067', 'checksum'],
    ['524911659', 'length'],
    ['77013692931', 'length'],
  ],
  'python-validators tests/i18n/test_ru.py': [
    ['2222058687', 'checksum'],
    ['7709439561', 'checksum'],
    ['5003052453', 'checksum'],
    ['7730257490', 'checksum'],
    ['3664016815', 'checksum'],
    ['026504247481', 'checksum'],
    ['780103209222', 'checksum'],
    ['7707012149', 'checksum'],
    ['140700989886', 'checksum'],
    ['774334078054', 'checksum'],
  ],
  // docs/identifiers.md: python-validators' ru_inn accepts this (only d12 checked).
  'docs/identifiers.md (python-validators bug)': [['164870596402', 'checksum']],
};

const validOgrn: Record<string, string[]> = {
  'python-stdnum stdnum/ru/ogrn.py': ['1022200525819', '1022500001325'],
  'russian-id tests/OgrnTest.php': ['1151232294620', '1138218667113'],
  'docs-code ogrn/ogrn_test.go': ['1027700132195', '1027739244741'],
  'validates_russian spec/validators/ogrn_format_validator_spec.rb': [
    '1025004701402',
    '1047796885861',
    '5077746887312',
    '1077604011935',
  ],
  'rigour tests/ids/test_ogrn.py': [
    '1027739552642',
    '1137847171846',
    '1159102022738',
    '1022600000092',
    '1022500001930',
    '1022500001061',
    '1022500000566',
    '1022700000685',
    '1022500001325',
    '1027100000311',
    '1022500000786',
    '1024100000121',
    '1022400007508',
    '1022400000160',
    '1022400010005',
    '1022300001811',
    '1020500003919',
    '1022300003703',
    '1022300000502',
    '1022200531484',
    '1022200525819',
  ],
  'postgresql-patterns-library functions/is/is_ogrn.sql': ['1027812400868'],
  'validation-codes tests/checkOgrn.test.js': ['5065049620796'],
};

const invalidOgrn: Record<string, Array<[string, string]>> = {
  'python-stdnum stdnum/ru/ogrn.py': [
    ['10277395526422', 'length'],
    ['1022500001328', 'checksum'],
    ['102250000', 'length'],
  ],
  'russian-id tests/OgrnTest.php': [
    ['0', 'length'],
    ['1151232294621', 'checksum'],
    ['abcabcabcabc1', 'non-digit'],
  ],
  'docs-code ogrn/ogrn_test.go': [
    ['102773924', 'length'],
    ['10277392447411231', 'length'],
    ['102773??44741', 'non-digit'],
    ['1027739244742', 'checksum'],
    ['10@7739244%42', 'non-digit'],
  ],
  'validates_russian spec/validators/ogrn_format_validator_spec.rb': [
    ['secret', 'non-digit'],
    ['507774688731', 'length'],
    ['8934422763457', 'checksum'],
    ['1345345523664', 'checksum'],
  ],
  'rigour tests/ids/test_ogrn.py': [
    ['1027739', 'length'],
    ['OGRN 1027739552642', 'non-digit'],
    ['11677', 'length'],
  ],
  'postgresql-patterns-library functions/is/is_ogrn.sql': [
    ['123456789012', 'length'],
    ['102781240086a', 'non-digit'],
    ['0000000000001', 'checksum'],
    ['1000000000002', 'checksum'],
    ['1000000000008', 'checksum'],
  ],
  'validation-codes tests/checkOgrn.test.js': [
    ['9100722490217', 'checksum'],
    ['5060049620796', 'checksum'],
    ['9154000968881', 'checksum'],
    ['6160094236029', 'checksum'],
    ['8083000639372', 'checksum'],
    ['7048473200122', 'checksum'],
    ['4090342700154', 'checksum'],
  ],
};

/**
 * Vectors other suites call valid that we reject on purpose, with why.
 * - validation-codes' "valid OGRNs" starting 9/6/8/7/4: correct checksum, but those first digits
 *   mark ГРН record numbers, not a registration number (rejected as `prefix`).
 * - rin-nas asserts 1000000000001 and 0000000000000 valid: its tests predate its own fix of the
 *   remainder-10 rule (issue rin-nas/postgresql-patterns-library#10); 10^11 mod 11 = 10 → check 0.
 */
const disagreeOgrn: Array<[string, string, string]> = [
  ['validation-codes tests/checkOgrn.test.js', '9106722490217', 'prefix'],
  ['validation-codes tests/checkOgrn.test.js', '9154001968881', 'prefix'],
  ['validation-codes tests/checkOgrn.test.js', '6160394236029', 'prefix'],
  ['validation-codes tests/checkOgrn.test.js', '8083210639372', 'prefix'],
  ['validation-codes tests/checkOgrn.test.js', '7048473202122', 'prefix'],
  ['validation-codes tests/checkOgrn.test.js', '4090342707154', 'prefix'],
  ['postgresql-patterns-library functions/is/is_ogrn.sql', '1000000000001', 'checksum'],
  ['postgresql-patterns-library functions/is/is_ogrn.sql', '0000000000000', 'prefix'],
];

/** rin-nas asserts 1000000000000 invalid; by the remainder-10 → 0 rule it is valid. */
const disagreeValidOgrn = ['1000000000000'];

const validOgrnip: Record<string, string[]> = {
  'validation-codes tests/checkOgrnip.test.js': ['304500116000157', '313132804400022', '314220119000137'],
  'russian-id tests/OgrnipTest.php': ['315850060115169', '314833285032522'],
  'docs-code ogrnip/ogrnip_test.go': ['304500116000157', '312502904600034'],
  'postgresql-patterns-library functions/is/is_ogrnip.sql': ['307760324100018'],
  // python-stdnum and rigour reject this one (remainder 11 → check digit 1): their bug.
  'docs/identifiers.md': ['304500116000061'],
  // python-stdnum stdnum/ru/ogrn.py doctest: the 15-digit example.
  'python-stdnum stdnum/ru/ogrn.py': ['385768585948949'],
};

const invalidOgrnip: Record<string, Array<[string, string]>> = {
  'validation-codes tests/checkOgrnip.test.js': [
    ['234432432', 'length'],
    ['423543534553', 'length'],
    ['304500116000154', 'checksum'],
    ['аыав432ыавыавы', 'non-digit'],
  ],
  'russian-id tests/OgrnipTest.php': [
    ['0', 'length'],
    ['315850060115160', 'checksum'],
    ['abcabcabcabc1', 'non-digit'],
  ],
  'docs-code ogrnip/ogrnip_test.go': [
    ['31250290460', 'length'],
    ['3045001111236000157', 'length'],
    ['312502??4600034', 'non-digit'],
    ['304500116000158', 'checksum'],
    ['512502904600034', 'checksum'],
  ],
  'postgresql-patterns-library functions/is/is_ogrnip.sql': [
    ['12345678901234', 'length'],
    ['1234567890123456', 'length'],
    ['30776032410001a', 'non-digit'],
    ['307760324100010', 'checksum'],
    ['307760324100011', 'checksum'],
    ['307760324100012', 'checksum'],
    ['307760324100013', 'checksum'],
    ['307760324100014', 'checksum'],
    ['307760324100015', 'checksum'],
    ['307760324100016', 'checksum'],
    ['307760324100017', 'checksum'],
    ['307760324100019', 'checksum'],
    // asserted valid there, but 10^14 mod 13 = 9 → check digit 9, and a leading 0 is no OGRNIP.
    ['100000000000001', 'checksum'],
    ['000000000000000', 'prefix'],
  ],
};

function flat<T>(m: Record<string, T[]>): Array<[string, T]> {
  return Object.entries(m).flatMap(([src, xs]) => xs.map((x) => [src, x] as [string, T]));
}

describe('INN published vectors', () => {
  const valid = flat(validInn);
  const bad = flat(invalidInn);
  it('has at least 100 INN vectors', () => {
    expect(new Set([...valid.map(([, v]) => v), ...bad.map(([, [v]]) => v)]).size).toBeGreaterThanOrEqual(100);
  });
  it.each(valid)('%s: %s is valid', (_src, inn) => {
    expect(validateInn(inn)).toEqual({ valid: true });
  });
  it.each(bad)('%s: %j is invalid', (_src, [inn, reason]) => {
    expect(validateInn(inn)).toEqual({ valid: false, reason });
  });
});

describe('OGRN / OGRNIP published vectors', () => {
  const all = [...flat(validOgrn), ...flat(invalidOgrn), ...disagreeOgrn, ...flat(validOgrnip), ...flat(invalidOgrnip)];
  it('has at least 40 OGRN/OGRNIP vectors', () => expect(all.length).toBeGreaterThanOrEqual(40));
  it.each(flat(validOgrn))('%s: OGRN %s is valid', (_s, v) => expect(validateOgrn(v)).toEqual({ valid: true }));
  it.each(flat(invalidOgrn))('%s: OGRN %j is invalid', (_s, [v, reason]) =>
    expect(validateOgrn(v)).toEqual({ valid: false, reason }),
  );
  it.each(disagreeOgrn)('%s: %s is rejected on purpose (%s)', (_s, v, reason) =>
    expect(validateOgrn(v)).toEqual({ valid: false, reason }),
  );
  it.each(disagreeValidOgrn)('%s is valid (remainder 10 → check digit 0)', (v) =>
    expect(validateOgrn(v).valid).toBe(true),
  );
  it.each(flat(validOgrnip))('%s: OGRNIP %s is valid', (_s, v) => expect(validateOgrnip(v)).toEqual({ valid: true }));
  it.each(flat(invalidOgrnip))('%s: OGRNIP %j is invalid', (_s, [v, reason]) =>
    expect(validateOgrnip(v)).toEqual({ valid: false, reason }),
  );
});

describe('KPP vectors', () => {
  // perevoshchikov/russian-id tests/KppTest.php; 773601001 from the DaData sample in the notes.
  it.each(['514944513', '0108A4934', '68314A288', '3963AZ668', '773601001'])('%s is valid', (v) =>
    expect(validateKpp(v).valid).toBe(true),
  );
  it.each([
    ['123abc', 'length'],
    ['77360100', 'length'],
    ['7736010011', 'length'],
    ['773a01001', 'format'],
    ['77360100A', 'format'],
    ['', 'empty'],
  ])('%s is invalid (%s)', (v, reason) => expect(validateKpp(v)).toEqual({ valid: false, reason }));
});

describe('BIK format', () => {
  it.each(['044525225', '044030653', '046577964', '044525000', '044030001', '045004001', '004525988'])(
    '%s is valid',
    (v) => expect(validateBik(v).valid).toBe(true),
  );
  it.each([
    ['04452522', 'length'],
    ['04452522X', 'non-digit'],
    ['123456789', 'prefix'],
    ['987654321', 'prefix'],
    ['044525030', 'format'],
  ])('%s is invalid (%s)', (v, reason) => expect(validateBik(v)).toEqual({ valid: false, reason }));
});

describe('bank account key', () => {
  // skbkontur/django-ru-validators tests/django_ru_validators/test_validators.py (incl. the
  // Bank of Russia 40101… accounts, checked with the correspondent rule because BIK digits 7–8 are 00);
  // rin-nas/postgresql-patterns-library functions/is/is_client_account.sql;
  // perevoshchikov/russian-id tests/RsTest.php; DESIGN.md §3 sample partner.
  const settlement: Array<[string, string]> = [
    ['044525593', '40817810108670017419'],
    ['046577964', '40702810138030000017'],
    ['046577674', '40702810116480034147'],
    ['044525225', '40702810638050013199'],
    ['046577795', '47426810863032003088'],
    ['046577795', '40802810363030003088'],
    ['046577674', '40502810216020102982'],
    ['044525000', '40101810045250010041'],
    ['045004001', '40101810900000010001'],
    ['044030001', '40101810200000010001'],
    ['043510001', '40101810335100010001'],
    ['044030827', '40702810900000002851'],
    ['044106001', '40701810000001002118'],
    ['044030653', '40702810955230165464'],
    ['044525225', '40702810938000000001'],
  ];
  it.each(settlement)('BIK %s account %s is valid', (bik, acc) =>
    expect(validateAccount(acc, bik)).toEqual({ valid: true }),
  );
  const wrong: Array<[string, string, string]> = [
    ['044525593', '40817810108170017419', 'checksum'],
    ['046577795', '40502810216020102982', 'checksum'],
    ['044525000', '40101810045250011041', 'checksum'],
    ['044030001', '40702810400000105745', 'checksum'],
    ['044525593', '4081781010867001741', 'length'],
    ['044525593', '408178101086700174191', 'length'],
    ['04452559', '40817810108670017419', 'bik'],
    ['044030827', '40702810000000002851', 'checksum'],
    ['044030827', '40702810800000002851', 'checksum'],
    ['044030653', 'abcabcab1', 'non-digit'],
    ['000000000', '40702810955230165464', 'checksum'],
  ];
  it.each(wrong)('BIK %s account %s is invalid (%s)', (bik, acc, reason) =>
    expect(validateAccount(acc, bik)).toEqual({ valid: false, reason }),
  );
  // perevoshchikov/russian-id tests/KsTest.php; DESIGN.md §3 / DaData sample (Sberbank).
  it.each([
    ['044030653', '30101810500000000653'],
    ['044525225', '30101810400000000225'],
  ])('correspondent account of BIK %s: %s is valid', (bik, acc) =>
    expect(validateCorrAccount(acc, bik)).toEqual({ valid: true }),
  );
  it('correspondent account with a wrong key is invalid', () =>
    expect(validateCorrAccount('30101810400000000653', '044030653')).toEqual({ valid: false, reason: 'checksum' }));
});
