import { BarElement, CategoryScale, Chart as ChartJS, Filler, Legend, LinearScale, LineElement, PointElement, Tooltip } from 'chart.js';
import { Bar, Line } from 'react-chartjs-2';
import dayjs from 'dayjs';
import type { ModelStats } from '../api/types';
import { useI18n } from '../i18n/i18n';

ChartJS.register(CategoryScale, LinearScale, BarElement, PointElement, LineElement, Tooltip, Legend, Filler);

const labelsOf = (stats: ModelStats) => {
  // Ranges over a day need the date on each label; shorter ones only the time.
  const format = dayjs(stats.to).diff(dayjs(stats.from), 'hour') > 24 ? 'MM-DD HH:mm' : 'HH:mm';
  return stats.series.map((p) => dayjs(p.start).format(format));
};

const baseOptions = {
  responsive: true,
  maintainAspectRatio: false,
  animation: false as const,
  interaction: { mode: 'index' as const, intersect: false },
  plugins: { legend: { position: 'bottom' as const } },
};

export function CallsChart({ stats }: { stats: ModelStats }) {
  const { t } = useI18n();
  return (
    <div style={{ height: 220 }}>
      <Bar
        aria-label={t('detail.callsChart')}
        role="img"
        data-testid="chart-calls"
        options={{ ...baseOptions, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }}
        data={{ labels: labelsOf(stats), datasets: [{ label: t('detail.callsChart'), data: stats.series.map((p) => p.calls), backgroundColor: '#1677ff' }] }}
      />
    </div>
  );
}

export function SuccessRateChart({ stats }: { stats: ModelStats }) {
  const { t } = useI18n();
  return (
    <div style={{ height: 220 }}>
      <Line
        aria-label={t('detail.successChart')}
        role="img"
        data-testid="chart-success"
        options={{ ...baseOptions, spanGaps: true, scales: { y: { min: 0, max: 100 } } }}
        data={{
          labels: labelsOf(stats),
          datasets: [
            {
              label: t('detail.successChart'),
              data: stats.series.map((p) => (p.success_rate === null ? null : Math.round(p.success_rate * 1000) / 10)),
              borderColor: '#52c41a',
              backgroundColor: 'rgba(82,196,26,0.15)',
              fill: true,
              pointRadius: 2,
            },
          ],
        }}
      />
    </div>
  );
}

export function LatencyChart({ stats }: { stats: ModelStats }) {
  const { t } = useI18n();
  const series = (pick: 'p50' | 'p95' | 'p99') => stats.series.map((p) => p.latency_ms?.[pick] ?? null);
  return (
    <div style={{ height: 220 }}>
      <Line
        aria-label={t('detail.latencyChart')}
        role="img"
        data-testid="chart-latency"
        options={{ ...baseOptions, spanGaps: true, scales: { y: { beginAtZero: true } } }}
        data={{
          labels: labelsOf(stats),
          datasets: [
            { label: 'p50', data: series('p50'), borderColor: '#1677ff', pointRadius: 2 },
            { label: 'p95', data: series('p95'), borderColor: '#faad14', pointRadius: 2 },
            { label: 'p99', data: series('p99'), borderColor: '#ff4d4f', pointRadius: 2 },
          ],
        }}
      />
    </div>
  );
}
