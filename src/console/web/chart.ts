/** The online chart: plain SVG lines of players online, total and per region, over the last points. */

const SVG = 'http://www.w3.org/2000/svg';
const colours = ['#0b3d91', '#a11', '#15602b', '#6a1b9a', '#8a4b00', '#00607a'];
const MAX_POINTS = 120;

export interface Sample {
  at: number;
  total: number;
  byRegion: Record<string, number>;
}

export class OnlineChart {
  readonly element: HTMLElement;
  readonly #samples: Sample[] = [];
  readonly #svg: SVGSVGElement;
  readonly #legend: HTMLElement;
  readonly #width = 640;
  readonly #height = 200;

  constructor() {
    this.element = document.createElement('figure');
    this.element.className = 'chart';
    this.#svg = document.createElementNS(SVG, 'svg');
    this.#svg.setAttribute('viewBox', `0 0 ${this.#width} ${this.#height}`);
    this.#svg.setAttribute('width', String(this.#width));
    this.#svg.setAttribute('height', String(this.#height));
    this.#svg.setAttribute('role', 'img');
    this.#svg.setAttribute('aria-label', 'Players online over time');
    this.#svg.id = 'online-chart';
    this.#legend = document.createElement('figcaption');
    this.#legend.className = 'legend';
    this.element.append(this.#svg, this.#legend);
  }

  get points(): number {
    return this.#samples.length;
  }

  add(sample: Sample): void {
    this.#samples.push(sample);
    if (this.#samples.length > MAX_POINTS) this.#samples.shift();
    this.#draw();
  }

  #series(): [string, number[]][] {
    const regions = new Set<string>();
    for (const s of this.#samples) for (const r of Object.keys(s.byRegion)) regions.add(r);
    const out: [string, number[]][] = [['total', this.#samples.map((s) => s.total)]];
    for (const r of [...regions].sort()) out.push([r, this.#samples.map((s) => s.byRegion[r] ?? 0)]);
    return out;
  }

  #draw(): void {
    const series = this.#series();
    const max = Math.max(1, ...series.flatMap(([, v]) => v));
    const step = this.#width / Math.max(1, MAX_POINTS - 1);
    const y = (v: number) => this.#height - 10 - (v / max) * (this.#height - 20);
    this.#svg.replaceChildren();
    series.forEach(([name, values], i) => {
      const line = document.createElementNS(SVG, 'polyline');
      line.setAttribute(
        'points',
        values.map((v, x) => `${(x * step).toFixed(1)},${y(v).toFixed(1)}`).join(' '),
      );
      line.setAttribute('fill', 'none');
      line.setAttribute('stroke', colours[i % colours.length] as string);
      line.setAttribute('stroke-width', name === 'total' ? '3' : '2');
      line.dataset.series = name;
      this.#svg.append(line);
    });
    const last = this.#samples.at(-1);
    this.#svg.dataset.total = String(last?.total ?? 0);
    this.#legend.replaceChildren(
      ...series.map(([name, values], i) => {
        const item = document.createElement('span');
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = colours[i % colours.length] as string;
        item.append(swatch, `${name}: ${values.at(-1) ?? 0}`);
        return item;
      }),
    );
  }
}
