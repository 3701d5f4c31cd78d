/** Shop A's tables exactly as DESIGN §3 gives them (cp1251), for fixtures, the demo and `gen`. */
export const shopASchema = [
  `CREATE TABLE IF NOT EXISTS companies (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(500) NOT NULL,
  inn VARCHAR(32) NULL, kpp VARCHAR(32) NULL, ogrn VARCHAR(32) NULL,
  address TEXT NULL,
  phone VARCHAR(100) NULL,
  email VARCHAR(255) NULL,
  bank_bik VARCHAR(32) NULL, bank_account VARCHAR(64) NULL,
  bank_corr_account VARCHAR(64) NULL, bank_name VARCHAR(500) NULL,
  status ENUM('active','blocked','deleted') NOT NULL DEFAULT 'active',
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL,
  KEY idx_updated (updated_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=cp1251`,
  `CREATE TABLE IF NOT EXISTS contacts (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  company_id INT UNSIGNED NULL,
  full_name VARCHAR(500) NULL,
  position VARCHAR(255) NULL,
  phone VARCHAR(100) NULL, email VARCHAR(255) NULL,
  updated_at DATETIME NOT NULL,
  KEY idx_updated (updated_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=cp1251`,
];

export const companyColumns = [
  'id',
  'name',
  'inn',
  'kpp',
  'ogrn',
  'address',
  'phone',
  'email',
  'bank_bik',
  'bank_account',
  'bank_corr_account',
  'bank_name',
  'status',
  'created_at',
  'updated_at',
] as const;
export const contactColumns = ['id', 'company_id', 'full_name', 'position', 'phone', 'email', 'updated_at'] as const;
