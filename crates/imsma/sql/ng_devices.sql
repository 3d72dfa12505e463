-- The devices (ordnance) IMSMA NG records on each hazard reduction
-- (`hazreducdeviceinfo`, with its `ordnance` row, as GICHD's geocheck reads
-- them): per reduction, each device's category and subcategory (imsmaenum
-- guids), model and quantity. The mapping's [device] makes them EO finds.
SELECT di.hazreduc_guid::text AS owner,
       jsonb_agg(jsonb_build_object(
               'ordnance_guid', di.ordnance_guid::text,
               'ordcategoryenum_guid', o.ordcategoryenum_guid::text,
               'ordsubcategoryenum_guid', o.ordsubcategoryenum_guid::text,
               'model', o.model::text,
               'qty', di.qty)
           ORDER BY di.ordnance_guid) AS devices
FROM hazreducdeviceinfo di
LEFT JOIN ordnance o ON o.ordnance_guid = di.ordnance_guid
GROUP BY di.hazreduc_guid
