import { Col, Form, InputNumber, Row } from 'antd';
import { useI18n } from '../i18n/i18n';
import { LIMIT_FIELDS, LIMIT_MAX } from './identity-options';

/** Requests per minute, tokens per minute, calls per day: each empty for "no limit". */
export function LimitsFields() {
  const { t } = useI18n();
  return (
    <Row gutter={12}>
      {LIMIT_FIELDS.map((field) => (
        <Col span={8} key={field}>
          <Form.Item name={field} label={t(`limits.${field}`)} tooltip={t(`limits.${field}.hint`)}>
            <InputNumber min={1} max={LIMIT_MAX} precision={0} placeholder={t('limits.none')} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
      ))}
    </Row>
  );
}
