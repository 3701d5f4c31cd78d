/**
 * The fields each emulated entity has, as crm.*.fields and the get examples in the docs show them.
 * Fields outside this list are ignored on write (the portal silently drops unknown fields), except
 * custom `UF_*` fields and, for requisites, any `RQ_*` field. A company keeps only the `UF_CRM_*`
 * fields defined by crm.company.userfield.add (`userFieldOwner`); the emulator defines no user
 * fields for the other entities, so it keeps any `UF_*` there.
 */
export type EntityName = 'company' | 'contact' | 'requisite' | 'bankdetail';

export const multifieldTypes = ['PHONE', 'EMAIL', 'WEB', 'IM'] as const;
export type MultifieldType = (typeof multifieldTypes)[number];

export interface EntitySchema {
  /** Scalar fields returned by get/list (`*`), in the portal's order; unset ones read as null. */
  fields: readonly string[];
  /** Defaults applied on add when the caller does not set the field. */
  defaults: Readonly<Record<string, string>>;
  /** Extra writable field prefixes. */
  prefixes: readonly string[];
  /** Fields that may be written on add but never changed by update. */
  immutable: readonly string[];
  hasMultifields: boolean;
}

const audit = ['DATE_CREATE', 'DATE_MODIFY', 'CREATED_BY_ID', 'MODIFY_BY_ID'];
const origin = ['ORIGINATOR_ID', 'ORIGIN_ID', 'ORIGIN_VERSION'];

export const rqFields = [
  'RQ_NAME',
  'RQ_FIRST_NAME',
  'RQ_LAST_NAME',
  'RQ_SECOND_NAME',
  'RQ_COMPANY_ID',
  'RQ_COMPANY_NAME',
  'RQ_COMPANY_FULL_NAME',
  'RQ_COMPANY_REG_DATE',
  'RQ_DIRECTOR',
  'RQ_ACCOUNTANT',
  'RQ_CEO_NAME',
  'RQ_CEO_WORK_POS',
  'RQ_CONTACT',
  'RQ_EMAIL',
  'RQ_PHONE',
  'RQ_FAX',
  'RQ_INN',
  'RQ_KPP',
  'RQ_IFNS',
  'RQ_OGRN',
  'RQ_OGRNIP',
  'RQ_OKPO',
  'RQ_OKTMO',
  'RQ_OKVED',
  'RQ_VAT_PAYER',
];

export const schemas: Record<EntityName, EntitySchema> = {
  company: {
    fields: [
      'ID',
      'COMPANY_TYPE',
      'TITLE',
      'LOGO',
      'LEAD_ID',
      'HAS_PHONE',
      'HAS_EMAIL',
      'HAS_IMOL',
      'ASSIGNED_BY_ID',
      'CREATED_BY_ID',
      'MODIFY_BY_ID',
      'BANKING_DETAILS',
      'INDUSTRY',
      'REVENUE',
      'CURRENCY_ID',
      'EMPLOYEES',
      'COMMENTS',
      'DATE_CREATE',
      'DATE_MODIFY',
      'OPENED',
      'IS_MY_COMPANY',
      ...origin,
      'ADDRESS',
      'ADDRESS_CITY',
      'ADDRESS_POSTAL_CODE',
      'ADDRESS_REGION',
      'ADDRESS_COUNTRY',
      'ADDRESS_LEGAL',
      'REG_ADDRESS',
    ],
    defaults: {
      COMPANY_TYPE: 'CUSTOMER',
      OPENED: 'Y',
      IS_MY_COMPANY: 'N',
      REVENUE: '0',
      COMMENTS: '',
      CURRENCY_ID: 'RUB',
      HAS_IMOL: 'N',
    },
    prefixes: [],
    immutable: [],
    hasMultifields: true,
  },
  contact: {
    fields: [
      'ID',
      'HONORIFIC',
      'NAME',
      'SECOND_NAME',
      'LAST_NAME',
      'PHOTO',
      'BIRTHDATE',
      'TYPE_ID',
      'SOURCE_ID',
      'SOURCE_DESCRIPTION',
      'POST',
      'COMMENTS',
      'OPENED',
      'EXPORT',
      'HAS_PHONE',
      'HAS_EMAIL',
      'HAS_IMOL',
      'ASSIGNED_BY_ID',
      'CREATED_BY_ID',
      'MODIFY_BY_ID',
      'DATE_CREATE',
      'DATE_MODIFY',
      'COMPANY_ID',
      'LEAD_ID',
      ...origin,
      'ADDRESS',
      'ADDRESS_CITY',
      'ADDRESS_POSTAL_CODE',
      'ADDRESS_REGION',
      'ADDRESS_COUNTRY',
    ],
    defaults: { TYPE_ID: 'CLIENT', SOURCE_ID: 'SELF', OPENED: 'Y', EXPORT: 'Y', HAS_IMOL: 'N', COMMENTS: '' },
    prefixes: ['UF_'],
    immutable: [],
    hasMultifields: true,
  },
  requisite: {
    fields: [
      'ID',
      'ENTITY_TYPE_ID',
      'ENTITY_ID',
      'PRESET_ID',
      ...audit,
      'NAME',
      'CODE',
      'XML_ID',
      'ORIGINATOR_ID',
      'ACTIVE',
      'ADDRESS_ONLY',
      'SORT',
      ...rqFields,
    ],
    defaults: { ACTIVE: 'Y', ADDRESS_ONLY: 'N', SORT: '500', RQ_VAT_PAYER: 'N' },
    prefixes: ['RQ_', 'UF_'],
    immutable: ['ENTITY_TYPE_ID', 'ENTITY_ID', 'PRESET_ID'],
    hasMultifields: false,
  },
  bankdetail: {
    fields: [
      'ID',
      'ENTITY_ID',
      'COUNTRY_ID',
      ...audit,
      'NAME',
      'CODE',
      'XML_ID',
      'ORIGINATOR_ID',
      'ACTIVE',
      'SORT',
      'RQ_BANK_NAME',
      'RQ_BANK_ADDR',
      'RQ_BIK',
      'RQ_ACC_NAME',
      'RQ_ACC_NUM',
      'RQ_ACC_CURRENCY',
      'RQ_COR_ACC_NUM',
      'RQ_IBAN',
      'RQ_SWIFT',
      'RQ_BIC',
      'COMMENTS',
    ],
    defaults: { ACTIVE: 'Y', SORT: '500', COUNTRY_ID: '1' },
    prefixes: [],
    immutable: ['ENTITY_ID'],
    hasMultifields: false,
  },
};

/** The user field entity (`ENTITY_ID` of crm.*.userfield.*) whose definitions decide which UF_ fields a record keeps. */
export const userFieldOwner: Partial<Record<EntityName, string>> = { company: 'CRM_COMPANY' };

/** Whether a caller may write this field (ID and audit fields are the portal's). */
export function isWritable(entity: EntityName, field: string): boolean {
  if (field === 'ID' || audit.includes(field) || field.startsWith('HAS_')) return false;
  const s = schemas[entity];
  return s.fields.includes(field) || s.prefixes.some((p) => field.startsWith(p));
}

/** The standard RU presets a fresh portal has (EntityPreset::getFixedPresetList in the CRM core). */
export const presets = [
  {
    ID: '1',
    ENTITY_TYPE_ID: '8',
    COUNTRY_ID: '1',
    NAME: 'Organization',
    ACTIVE: 'Y',
    SORT: '500',
    XML_ID: '#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#',
  },
  {
    ID: '2',
    ENTITY_TYPE_ID: '8',
    COUNTRY_ID: '1',
    NAME: 'Sole Proprietorship',
    ACTIVE: 'Y',
    SORT: '500',
    XML_ID: '#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#',
  },
  {
    ID: '3',
    ENTITY_TYPE_ID: '8',
    COUNTRY_ID: '1',
    NAME: 'Individual',
    ACTIVE: 'Y',
    SORT: '500',
    XML_ID: '#CRM_REQUISITE_PRESET_DEF_RU_PERSON#',
  },
] as const;
