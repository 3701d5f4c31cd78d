import { ConfigError } from '../../core/errors.js';
import type { Bitrix24Client } from './rest-client.js';

/** XML_IDs of the fixed RU presets (EntityPreset::getFixedPresetList); names as a fallback. */
const wanted = {
  ORG: { xml: '#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#', name: /^(organi[sz]ation|организация)$/i },
  IE: {
    xml: '#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#',
    name: /^(sole proprietorship|ип|индивидуальный предприниматель)$/i,
  },
} as const;

/**
 * Preset ids differ per portal (docs/bitrix24-rest.md §7), so they are read once from
 * crm.requisite.preset.list: the legal-entity preset for ORG, the sole-proprietor preset for IE.
 */
export async function resolvePresets(client: Bitrix24Client): Promise<{ ORG: number; IE: number }> {
  const rows = await client.call<Array<Record<string, unknown>>>('crm.requisite.preset.list', {
    filter: { ENTITY_TYPE_ID: 8, COUNTRY_ID: 1 },
    select: ['ID', 'NAME', 'XML_ID'],
    order: { ID: 'ASC' },
  });
  const find = (w: { xml: string; name: RegExp }): number | undefined => {
    const hit = rows.find((r) => r.XML_ID === w.xml) ?? rows.find((r) => w.name.test(String(r.NAME ?? '').trim()));
    return hit ? Number(hit.ID) : undefined;
  };
  const ORG = find(wanted.ORG);
  const IE = find(wanted.IE);
  if (ORG === undefined || IE === undefined) {
    throw new ConfigError([
      `bitrix24: the portal has no ${ORG === undefined ? 'organisation' : 'sole-proprietor'} requisite preset for Russia; set bitrix24.presetIds`,
    ]);
  }
  return { ORG, IE };
}
