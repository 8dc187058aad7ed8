/**
 * Deterministic demo data: believable names, descriptions and tags, about 1 KB of JSON per product,
 * generated from the product's number so a given SKU always describes the same product. Kept with
 * the models: `tandem seed` writes it, and the model declarations take their OpenAPI examples from it.
 */

export interface DemoCategory {
  readonly name: string;
  readonly slug: string;
  /** Nouns that make sense for products in this category. */
  readonly nouns: readonly string[];
}

export interface DemoProduct {
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
  readonly tags: string[];
  readonly published: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const CATEGORIES: readonly DemoCategory[] = [
  {
    name: 'Garden Tools',
    slug: 'garden-tools',
    nouns: ['Trowel', 'Pruner', 'Rake', 'Hose Reel', 'Watering Can', 'Spade'],
  },
  {
    name: 'Kitchen',
    slug: 'kitchen',
    nouns: ['Chef Knife', 'Skillet', 'Cutting Board', 'Kettle', 'Mixing Bowl', 'Colander'],
  },
  {
    name: 'Outdoor & Camping',
    slug: 'outdoor-camping',
    nouns: ['Tent', 'Sleeping Bag', 'Lantern', 'Camp Stove', 'Backpack', 'Hammock'],
  },
  {
    name: 'Office Supplies',
    slug: 'office-supplies',
    nouns: ['Notebook', 'Desk Organizer', 'Stapler', 'Monitor Stand', 'Pen Set', 'Desk Lamp'],
  },
  {
    name: 'Audio',
    slug: 'audio',
    nouns: ['Headphones', 'Speaker', 'Turntable', 'Earbuds', 'Soundbar', 'Microphone'],
  },
  {
    name: 'Lighting',
    slug: 'lighting',
    nouns: ['Floor Lamp', 'Pendant Light', 'String Lights', 'Wall Sconce', 'Night Light', 'Work Light'],
  },
  {
    name: 'Cycling',
    slug: 'cycling',
    nouns: ['Bike Light', 'Helmet', 'Saddle', 'Pannier', 'Floor Pump', 'Bike Lock'],
  },
  {
    name: 'Home Textiles',
    slug: 'home-textiles',
    nouns: ['Throw Blanket', 'Duvet Cover', 'Cushion', 'Bath Towel', 'Table Runner', 'Rug'],
  },
  {
    name: 'Toys & Games',
    slug: 'toys-games',
    nouns: ['Puzzle', 'Board Game', 'Building Set', 'Kite', 'Card Game', 'Marble Run'],
  },
  {
    name: 'Pet Supplies',
    slug: 'pet-supplies',
    nouns: ['Dog Bed', 'Cat Tree', 'Leash', 'Food Bowl', 'Chew Toy', 'Pet Carrier'],
  },
  {
    name: 'Bathroom',
    slug: 'bathroom',
    nouns: ['Shower Caddy', 'Bath Mat', 'Soap Dispenser', 'Towel Rack', 'Mirror', 'Toothbrush Holder'],
  },
  {
    name: 'Workshop',
    slug: 'workshop',
    nouns: ['Cordless Drill', 'Tool Chest', 'Workbench', 'Clamp Set', 'Socket Set', 'Level'],
  },
];

const ADJECTIVES = [
  'Compact',
  'Classic',
  'Ergonomic',
  'Heavy-Duty',
  'Lightweight',
  'Modern',
  'Rustic',
  'Foldable',
  'Premium',
  'Everyday',
  'Weatherproof',
  'Minimalist',
  'Rechargeable',
  'Handcrafted',
  'Professional',
  'Eco',
];
const MATERIALS = [
  'Oak',
  'Steel',
  'Bamboo',
  'Linen',
  'Copper',
  'Walnut',
  'Aluminium',
  'Ceramic',
  'Wool',
  'Recycled',
  'Cast Iron',
  'Cotton',
  'Carbon',
  'Cork',
  'Glass',
  'Leather',
];
const SERIES = [
  'Nordic',
  'Atlas',
  'Harbor',
  'Summit',
  'Meadow',
  'Orbit',
  'Juniper',
  'Cascade',
  'Ember',
  'Willow',
  'Granite',
  'Tidal',
  'Aurora',
  'Fjord',
  'Sierra',
  'Maple',
];
const OPENINGS = [
  'Built for daily use, this {noun} balances sturdy construction with a light, comfortable feel.',
  'Our best-selling {noun}, redesigned with feedback from thousands of customers.',
  'A thoughtfully made {noun} that looks as good on display as it performs in use.',
  'The {series} {noun} combines {material} details with a clean, timeless shape.',
  'Designed in small batches, the {noun} is made to last for years rather than seasons.',
];
const DETAILS = [
  'The {material} finish resists scratches and stains and only gets better with age.',
  'Every seam and joint is checked by hand before it leaves our workshop.',
  'It packs down flat for storage and sets up in seconds without any tools.',
  'Rounded edges and a balanced weight make it comfortable to handle for long sessions.',
  'Replacement parts are available for at least ten years after purchase.',
  'Independent testing rated it among the most durable in its class.',
  'A low-maintenance design: wipe clean with a damp cloth, no special products needed.',
  'Its modular design means accessories from the {series} range fit without adapters.',
  'Packaging is plastic-free and made from recycled cardboard.',
  'Thoughtful details such as a hanging loop and non-slip feet make everyday use easier.',
];
const CLOSINGS = [
  'Covered by a two-year warranty and free returns within 30 days.',
  'Ships within two business days from our regional warehouses.',
  'Pairs well with other products in the {series} collection.',
  'Customers call it the last {noun} they expect to buy.',
];
const FINISHES = ['matte', 'satin', 'natural', 'brushed', 'oiled', 'powder-coated', 'glazed', 'polished'];
const TAGS = [
  'bestseller',
  'new',
  'eco',
  'gift-idea',
  'limited',
  'sale',
  'durable',
  'compact',
  'handmade',
  'outdoor',
  'indoor',
  'premium',
  'budget',
  'family',
  'travel',
  'recycled',
  'award-winning',
  'classic',
];
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'USD', 'USD', 'GBP', 'CHF', 'SEK'];

/** The moment the OpenAPI examples are dated at (fixed, so the generated documents do not change). */
export const SEED_EXAMPLE_TIME = new Date('2026-01-01T00:00:00.000Z');

export const DEMO_SKU_PREFIX = 'DEMO-';
const SKU_DIGITS = 8;
/** The highest product number an 8-digit SKU can hold. */
export const MAX_DEMO_NUMBER = 10 ** SKU_DIGITS - 1;

/** The first `count` demo categories; beyond the named ones, numbered collections. */
export function demoCategories(count: number): DemoCategory[] {
  return Array.from({ length: count }, (_, index) => {
    const named = CATEGORIES[index];
    if (named) return named;
    const number = index + 1;
    const base = CATEGORIES[index % CATEGORIES.length]!;
    return { name: `Collection ${number}`, slug: `collection-${number}`, nouns: base.nouns };
  });
}

export function demoSku(number: number): string {
  return `${DEMO_SKU_PREFIX}${String(number).padStart(SKU_DIGITS, '0')}`;
}

/** mulberry32: a tiny seeded generator, so the same product number always yields the same product. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function demoProduct(number: number, category: DemoCategory, now: Date): DemoProduct {
  const next = random(number * 2654435761);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const noun = pick(category.nouns);
  const words = { noun: noun.toLowerCase(), material: pick(MATERIALS).toLowerCase(), series: pick(SERIES) };
  const fill = (template: string) =>
    template.replace(/\{(noun|material|series)\}/g, (_, key: keyof typeof words) => words[key]);

  const details = new Set<string>();
  while (details.size < 5) details.add(pick(DETAILS));
  const size = [10 + Math.floor(next() * 90), 10 + Math.floor(next() * 60), 2 + Math.floor(next() * 30)];
  const specs =
    `Specifications: ${size.join(' × ')} cm, ${(0.1 + next() * 12).toFixed(1)} kg, ${words.material} and ` +
    `${pick(MATERIALS).toLowerCase()}, ${pick(FINISHES)} finish, model ${words.series.slice(0, 3).toUpperCase()}-${number % 10000}.`;
  const tags = new Set<string>([category.slug]);
  const tagCount = 2 + Math.floor(next() * 4);
  while (tags.size < tagCount + 1) tags.add(pick(TAGS));

  const createdAt = new Date(now.getTime() - Math.floor(next() * 365 * DAY_MS));
  const updatedAt = new Date(Math.min(now.getTime(), createdAt.getTime() + Math.floor(next() * 30 * DAY_MS)));
  return {
    sku: demoSku(number),
    name: `${words.series} ${pick(ADJECTIVES)} ${pick(MATERIALS)} ${noun}`,
    description: [fill(pick(OPENINGS)), ...[...details].map(fill), specs, fill(pick(CLOSINGS))].join(' '),
    // Prices from 4.99 to about 900, ending in 99 like a shop's.
    priceCents: Math.floor(next() ** 2 * 900 + 4) * 100 + 99,
    currency: pick(CURRENCIES),
    stock: next() < 0.08 ? 0 : Math.floor(next() * 500),
    tags: [...tags],
    // Mostly published, with some drafts for the admin's filters to find.
    published: next() < 0.85,
    createdAt,
    updatedAt,
  };
}
