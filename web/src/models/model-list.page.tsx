import { DeleteOutlined, EditOutlined, ExperimentOutlined, EyeOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Empty, Input, Popconfirm, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { SorterResult } from 'antd/es/table/interface';
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useApi } from '../api/api-context';
import { useCurrentUser } from '../auth/current-user';
import type { ListQuery, Model, ModelSort } from '../api/types';
import { ErrorState, useErrorText } from '../common/error-state';
import { formatMs, formatPercent, formatTime } from '../common/format';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { AddModelModal } from './add-model-modal';
import { EditModelModal } from './edit-model-modal';
import { parseListQuery, PAGE_SIZES, sortOrderOf, toSearchParams, withChange } from './list-query';
import { frameworkOptions, sourceOptions, statusOptions, typeOptions } from './model-options';
import { StatusSwitch, TransferProgress } from './status-cell';
import { TestModelModal } from './test-model-modal';

/** How often the list asks again while a model is importing (its progress moves on the row). */
const PROGRESS_POLL_MS = 2000;

export function ModelListPage() {
  const { t } = useI18n();
  const api = useApi();
  const { can } = useCurrentUser();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [searchParams, setSearchParams] = useSearchParams();
  const query = useMemo(() => parseListQuery(searchParams), [searchParams]);
  const queryKey = toSearchParams(query).toString();
  const { data, error, loading, reload, reloadQuietly, update } = useRequest(queryKey, (signal) => api.listModels(query, signal));
  const [search, setSearch] = useState(query.q ?? '');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Model | null>(null);
  const [testing, setTesting] = useState<Model | null>(null);

  // The search box follows the URL (back button, a shared link, "clear filters") as well as typing.
  const [searchOf, setSearchOf] = useState(query.q);
  if (searchOf !== query.q) {
    setSearchOf(query.q);
    setSearch(query.q ?? '');
  }

  const importing = data?.items.some((m) => m.status === 'uploading') ?? false;
  useEffect(() => {
    if (!importing) return;
    const timer = setInterval(reloadQuietly, PROGRESS_POLL_MS);
    return () => clearInterval(timer);
  }, [importing, reloadQuietly]);

  // The toggle's answer is the model as stored: its row shows that at once, with no list query, and
  // stays in place even where a status filter no longer matches it (the row does not jump away
  // from under the pointer; a refresh applies the filter again).
  const showToggled = (changed: Model) => update((list) => ({ ...list, items: list.items.map((m) => (m.id === changed.id ? changed : m)) }));

  const change = (next: Partial<ListQuery>) => setSearchParams(toSearchParams(withChange(query, next)));
  const filtered = Boolean(query.type || query.status || query.source || query.framework || query.tag?.length || query.q);

  const remove = async (model: Model) => {
    try {
      await api.deleteModel(model.id);
      message.success(t('list.deleted', { name: model.name }));
      reload();
    } catch (failure) {
      const text = errorText(failure);
      message.error(`${text.title}: ${text.detail}`);
    }
  };

  const columns = [
    {
      title: t('model.name'),
      key: 'name',
      sorter: true,
      sortOrder: sortOrderOf(query.sort, 'name'),
      render: (_: unknown, model: Model) => (
        <Space orientation="vertical" size={2}>
          <Link to={`/models/${model.id}`}>{model.name}</Link>
          {model.tags.length > 0 && (
            <div>
              {model.tags.map((tag) => (
                <Tag key={tag} style={{ cursor: 'pointer' }} onClick={() => change({ tag: [...new Set([...(query.tag ?? []), tag])] })}>
                  {tag}
                </Tag>
              ))}
            </div>
          )}
        </Space>
      ),
    },
    { title: t('model.version'), dataIndex: 'version', key: 'version' },
    { title: t('model.type'), key: 'type', render: (_: unknown, m: Model) => t(`type.${m.type}`) },
    { title: t('model.framework'), key: 'framework', render: (_: unknown, m: Model) => t(`framework.${m.framework}`) },
    { title: t('model.source'), key: 'source', render: (_: unknown, m: Model) => t(`source.${m.source}`) },
    {
      title: t('model.status'),
      key: 'status',
      render: (_: unknown, m: Model) => (
        <Space orientation="vertical" size={2}>
          <StatusSwitch model={m} onChanged={showToggled} readOnly={!can('models.edit')} />
          <TransferProgress model={m} compact />
        </Space>
      ),
    },
    {
      title: t('model.accuracy'),
      key: 'accuracy',
      sorter: true,
      sortOrder: sortOrderOf(query.sort, 'accuracy'),
      render: (_: unknown, m: Model) => formatPercent(m.accuracy) ?? t('common.none'),
    },
    {
      title: t('model.latency'),
      key: 'latency_ms',
      sorter: true,
      sortOrder: sortOrderOf(query.sort, 'latency_ms'),
      render: (_: unknown, m: Model) => formatMs(m.latency_ms) ?? t('common.none'),
    },
    { title: t('model.calls'), key: 'calls', render: (_: unknown, m: Model) => (m.usage ? m.usage.calls : t('common.none')) },
    {
      title: t('model.successRate'),
      key: 'success_rate',
      render: (_: unknown, m: Model) => formatPercent(m.usage?.success_rate) ?? t('common.none'),
    },
    {
      title: t('model.updated'),
      key: 'updated_at',
      sorter: true,
      sortOrder: sortOrderOf(query.sort, 'updated_at'),
      render: (_: unknown, m: Model) => formatTime(m.updated_at),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: 'right' as const,
      render: (_: unknown, m: Model) => (
        <Space size={0}>
          {/* Offered by role; a model the caller may not edit or delete answers 403, shown as a message. */}
          {can('models.edit') && (
            <Tooltip title={t('list.edit')}>
              <Button type="text" icon={<EditOutlined />} aria-label={`${t('list.edit')} ${m.name}`} onClick={() => setEditing(m)} />
            </Tooltip>
          )}
          {can('models.use') && (
            <Tooltip title={t('list.test')}>
              <Button
                type="text"
                icon={<ExperimentOutlined />}
                aria-label={`${t('list.test')} ${m.name}`}
                disabled={m.status !== 'active'}
                onClick={() => setTesting(m)}
              />
            </Tooltip>
          )}
          <Tooltip title={t('list.open')}>
            <Link to={`/models/${m.id}`} aria-label={`${t('list.open')} ${m.name}`}>
              <Button type="text" icon={<EyeOutlined />} tabIndex={-1} />
            </Link>
          </Tooltip>
          {can('models.delete') && (
            <Popconfirm
              title={t('list.deleteConfirm', { name: m.name })}
              okText={t('common.delete')}
              cancelText={t('common.cancel')}
              okButtonProps={{ danger: true }}
              onConfirm={() => remove(m)}
            >
              <Button type="text" danger icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${m.name}`} />
            </Popconfirm>
          )}
        </Space>
      ),
    },
  ];

  return (
    <Card
      title={<Typography.Title level={4} style={{ margin: 0 }}>{t('list.title')}</Typography.Title>}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={reload} aria-label={t('common.refresh')} />
          {can('models.create') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
              {t('list.add')}
            </Button>
          )}
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 16 }} data-testid="model-filters">
        <Input.Search
          allowClear
          placeholder={t('list.search')}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          onSearch={(value) => change({ q: value.trim() || undefined })}
          style={{ width: 240 }}
          aria-label={t('list.search')}
        />
        <Select
          allowClear
          placeholder={t('list.filterType')}
          value={query.type}
          options={typeOptions(t)}
          onChange={(type) => change({ type })}
          style={{ width: 200 }}
          data-testid="filter-type"
        />
        <Select
          allowClear
          placeholder={t('list.filterStatus')}
          value={query.status}
          options={statusOptions(t)}
          onChange={(status) => change({ status })}
          style={{ width: 130 }}
          data-testid="filter-status"
        />
        <Select
          allowClear
          placeholder={t('list.filterSource')}
          value={query.source}
          options={sourceOptions(t)}
          onChange={(source) => change({ source })}
          style={{ width: 150 }}
          data-testid="filter-source"
        />
        <Select
          allowClear
          placeholder={t('list.filterFramework')}
          value={query.framework}
          options={frameworkOptions(t)}
          onChange={(framework) => change({ framework })}
          style={{ width: 160 }}
          data-testid="filter-framework"
        />
        <Select
          mode="tags"
          allowClear
          placeholder={t('list.filterTag')}
          value={query.tag ?? []}
          onChange={(tag: string[]) => change({ tag: tag.length ? tag : undefined })}
          open={false}
          suffixIcon={null}
          style={{ minWidth: 160 }}
          data-testid="filter-tag"
        />
        {filtered && (
          <Button onClick={() => setSearchParams(new URLSearchParams())} type="link">
            {t('list.clear')}
          </Button>
        )}
      </Space>
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <>
          <Table<Model>
            rowKey="id"
            loading={loading}
            dataSource={data?.items ?? []}
            columns={columns}
            scroll={{ x: 1300 }}
            locale={{ emptyText: loading ? ' ' : <Empty description={filtered ? t('list.emptyFiltered') : t('list.empty')} /> }}
            onChange={(pagination, _filters, sorter, { action }) => {
              if (action === 'paginate') {
                const sizeChanged = pagination.pageSize !== query.page_size;
                change({ page: sizeChanged ? 1 : pagination.current, page_size: pagination.pageSize });
              } else if (action === 'sort') {
                const s = (Array.isArray(sorter) ? sorter[0] : sorter) as SorterResult<Model> | undefined;
                const field = s?.columnKey as string | undefined;
                change({ sort: field && s?.order ? ((s.order === 'descend' ? `-${field}` : field) as ModelSort) : undefined });
              }
            }}
            pagination={{
              current: query.page,
              pageSize: query.page_size,
              total: data?.total ?? 0,
              showSizeChanger: true,
              pageSizeOptions: PAGE_SIZES,
              showTotal: (total) => t('list.total', { total }),
            }}
          />
        </>
      )}
      <AddModelModal open={adding} onClose={() => setAdding(false)} onCreated={reloadQuietly} />
      {editing && <EditModelModal model={editing} onClose={() => setEditing(null)} onSaved={reloadQuietly} />}
      {testing && <TestModelModal model={testing} onClose={() => setTesting(null)} onTested={reloadQuietly} />}
    </Card>
  );
}
